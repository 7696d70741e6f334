import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  type Descriptor,
  type Digest,
  type ImageRecord,
  MediaTypes,
  parseDigest,
  parseManifest,
  shortDigest,
} from '@koker/core';
import { spentBuffers } from '@koker/host';
import { type FileImageStore } from './file-image-store.js';
import { ociManifestOf } from './oci-manifest-out.js';

/** A stored blob as a push reads it: its descriptor and ranges of its file. */
export interface StoredBlobSource {
  readonly descriptor: Descriptor;
  readonly open: (start: number, end: number) => Readable;
}

/** An image as the store can send it: its layer blobs, its config and one manifest naming them. */
export interface PushSource {
  /** Layers bottom first, each with the short diff ID Docker shows while pushing. */
  readonly layers: readonly (StoredBlobSource & { readonly id: string })[];
  readonly config: StoredBlobSource;
  readonly manifest: { readonly mediaType: string; readonly bytes: Uint8Array; readonly digest: Digest };
}

function sha256(bytes: Uint8Array): Digest {
  return parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
}

/**
 * Bytes `start` to `end` of a file, read 256 KiB at a time: each read is a new buffer that lives
 * until the socket sent it and a collection ran, so smaller reads and counting them as spent keep
 * a push's memory bounded (three blobs go at once).
 */
function fileRange(path: string, start: number, end: number): Readable {
  const file = createReadStream(path, { start, end: end - 1, highWaterMark: 256 * 1024 });
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of file as AsyncIterable<Buffer>) {
      yield chunk;
      spentBuffers(chunk.length);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

function fileSource(path: string, descriptor: Descriptor): StoredBlobSource {
  return {
    descriptor,
    open: (start, end) => (end > start ? fileRange(path, start, end) : Readable.from([])),
  };
}

/**
 * What `push` sends for an image: a manifest the image was received as (pulled or loaded) when
 * the store still holds every blob it names, so the pushed digest is the one the image is known
 * by; otherwise an OCI manifest made from the layer blobs the store keeps (built, committed or
 * imported images), the same bytes for the same image every time.
 */
export async function pushSource(store: FileImageStore, image: ImageRecord): Promise<PushSource> {
  const stored = await store.storedImage(image.id);
  const configPath = store.layout.blob(image.id);
  for (const descriptor of stored?.manifests ?? []) {
    if (descriptor.mediaType !== MediaTypes.ociManifest && descriptor.mediaType !== MediaTypes.dockerManifest)
      continue;
    if (!(await store.hasBlob(descriptor.digest))) continue;
    const bytes = await readFile(store.layout.blob(descriptor.digest));
    let parsed;
    try {
      parsed = parseManifest(bytes, descriptor.mediaType, `manifest ${descriptor.digest}`);
    } catch {
      continue;
    }
    if (parsed.kind !== 'manifest' || parsed.config.digest !== image.id) continue;
    if (parsed.layers.length !== image.chainIds.length) continue;
    const present = await Promise.all(parsed.layers.map((l) => store.hasBlob(l.digest)));
    if (present.includes(false)) continue;
    return {
      layers: parsed.layers.map((layer, i) => ({
        ...fileSource(store.layout.blob(layer.digest), layer),
        id: shortDigest(image.diffIds[i] as Digest),
      })),
      config: fileSource(configPath, parsed.config),
      manifest: { mediaType: parsed.mediaType, bytes, digest: sha256(bytes) },
    };
  }

  const built = await ociManifestOf(store, image, 'push');
  return {
    layers: built.layers.map((layer, i) => ({
      ...fileSource(store.layout.blob(layer.digest), layer),
      id: shortDigest(image.diffIds[i] as Digest),
    })),
    config: fileSource(configPath, built.config),
    manifest: { mediaType: MediaTypes.ociManifest, bytes: built.bytes, digest: built.digest },
  };
}
