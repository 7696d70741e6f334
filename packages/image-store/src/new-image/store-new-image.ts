import { createReadStream } from 'node:fs';
import {
  chainIds,
  type Descriptor,
  type Digest,
  type ImageRecord,
  type ImageReference,
  type Logger,
  MediaTypes,
  parseImageConfig,
  parseDigest,
  StateError,
  type StorageDriver,
} from '@koker/core';
import { createHash } from 'node:crypto';
import { type CommittedImage, type FileImageStore } from '../file-image-store.js';
import { storeLayer } from '../store-layer.js';
import { verifyStream } from '../verify-stream.js';

/** A gzip layer blob already written to a file in the store's work directory. */
export interface LayerBlobFile {
  readonly path: string;
  readonly diffId: Digest;
  readonly digest: Digest;
  readonly size: number;
}

export interface NewImageParts {
  /** The image it derives from; undefined for `FROM scratch`. */
  readonly parent?: ImageRecord;
  /** The new top layer; undefined when the image adds none (metadata only). */
  readonly layer?: LayerBlobFile;
  /** The new config blob (deriveImageConfig), naming the parent's diff IDs and the layer's. */
  readonly configBytes: Uint8Array;
  readonly tags?: readonly ImageReference[];
}

export interface NewImageContext {
  readonly store: FileImageStore;
  readonly storage: StorageDriver;
  readonly log?: Logger;
}

function sha256(bytes: Uint8Array): Digest {
  return parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
}

/**
 * Writes a new image into the store as a pull or a load would: the layer is unpacked from its
 * blob by the storage driver's applier (so the stored layer directory is exactly what the blob
 * says, and its diff ID is checked), then the config, an OCI manifest naming the parent's layer
 * blobs and the new one, the image record and the tags. Holds off garbage collection meanwhile.
 */
export async function storeNewImage(context: NewImageContext, parts: NewImageParts): Promise<CommittedImage> {
  const { store, storage, log } = context;
  await store.prepare();
  return store.whileBuilding(async () => {
    const facts = parseImageConfig(parts.configBytes, 'the new image config');
    const parentDiffs = parts.parent?.diffIds ?? [];
    const expected = [...parentDiffs, ...(parts.layer ? [parts.layer.diffId] : [])];
    if (facts.diffIds.length !== expected.length || facts.diffIds.some((d, i) => d !== expected[i])) {
      throw new StateError('the new image config does not list its layers');
    }
    const chains = chainIds(facts.diffIds);
    const layers: Descriptor[] = [];
    for (const chainId of parts.parent?.chainIds ?? []) {
      const blob = (await store.readLayer(chainId))?.blobs[0];
      if (!blob) throw new StateError(`layer ${chainId} of the parent image has no blob in the store`);
      layers.push({ mediaType: blob.mediaType, digest: blob.digest, size: blob.size });
    }
    if (parts.layer) {
      const { layer } = parts;
      const descriptor: Descriptor = {
        mediaType: MediaTypes.ociLayerGzip,
        digest: layer.digest,
        size: layer.size,
      };
      await storeLayer(
        {
          chainId: chains[chains.length - 1] as Digest,
          diffId: layer.diffId,
          blob: descriptor,
          open: async (onBytes) =>
            verifyStream(createReadStream(layer.path), descriptor, 'the new layer', onBytes),
        },
        { store, storage, ...(log ? { log } : {}), report: () => undefined },
      );
      layers.push(descriptor);
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: {
          mediaType: MediaTypes.ociConfig,
          digest: sha256(parts.configBytes),
          size: parts.configBytes.length,
        },
        layers,
      }),
    );
    const committed = await store.commitImage({
      configBytes: parts.configBytes,
      facts,
      chainIds: chains,
      manifests: [
        {
          descriptor: { mediaType: MediaTypes.ociManifest, digest: sha256(manifest), size: manifest.length },
          bytes: manifest,
        },
      ],
      tags: parts.tags ?? [],
      digests: [],
      ...(parts.parent ? { parent: parts.parent.id } : {}),
    });
    log?.debug(
      { id: committed.id, layers: layers.length, tags: (parts.tags ?? []).map((t) => t.toString()) },
      'Store new image',
    );
    return committed;
  });
}
