import { createReadStream } from 'node:fs';
import { type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Descriptor,
  type ImageRecord,
  digestHex,
  type Digest,
  ImageReference,
  NotFoundError,
  type Logger,
  MediaTypes,
} from '@koker/core';
import { spentBuffers } from '@koker/host';
import { type FileImageStore } from '../file-image-store.js';
import { ociManifestOf } from '../oci-manifest-out.js';

interface SavedImage {
  readonly image: ImageRecord;
  readonly tags: readonly ImageReference[];
  readonly layers: readonly Descriptor[];
  readonly manifest: Buffer;
  readonly manifestDigest: Digest;
}

type BlobSource = { kind: 'file'; path: string; size: number } | { kind: 'bytes'; bytes: Buffer };

/**
 * `koker save`: the images as one tar that both `docker load` and OCI tools read (the form
 * Docker 25 writes): an OCI image layout (oci-layout, index.json, blobs/sha256/...) plus
 * Docker's manifest.json pointing at the same blobs. Layers are the blobs the image came with.
 */
export async function saveArchive(
  store: FileImageStore,
  names: readonly string[],
  output: Writable,
  log?: Logger,
): Promise<void> {
  const saved = new Map<string, { image: ImageRecord; tags: ImageReference[] }>();
  for (const name of names) {
    const image = await store.find(name);
    if (!image)
      throw new NotFoundError(`no such image: ${name}`, { hint: 'koker images lists the images there are' });
    const entry = saved.get(image.id) ?? { image, tags: [] };
    saved.set(image.id, entry);
    let reference: ImageReference | undefined;
    try {
      reference = ImageReference.parse(name);
    } catch {
      reference = undefined;
    }
    if (reference?.tag && !reference.digest && image.repoTags.includes(reference.toFamiliarString())) {
      if (!entry.tags.some((t) => t.toString() === reference.toString())) entry.tags.push(reference);
    }
  }

  const blobs = new Map<string, BlobSource>();
  const images: SavedImage[] = [];
  for (const { image, tags } of saved.values()) {
    const configPath = store.layout.blob(image.id);
    const built = await ociManifestOf(store, image, 'save');
    blobs.set(image.id, { kind: 'file', path: configPath, size: built.config.size });
    for (const layer of built.layers)
      blobs.set(layer.digest, { kind: 'file', path: store.layout.blob(layer.digest), size: layer.size });
    const { layers, bytes: manifest, digest: manifestDigest } = built;
    blobs.set(manifestDigest, { kind: 'bytes', bytes: manifest });
    images.push({ image, tags, layers, manifest, manifestDigest });
  }

  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: images.flatMap(({ tags, manifest, manifestDigest }) => {
      const base = { mediaType: MediaTypes.ociManifest, digest: manifestDigest, size: manifest.length };
      if (tags.length === 0) return [base];
      return tags.map((tag) => ({
        ...base,
        annotations: {
          'io.containerd.image.name': tag.toString(),
          'org.opencontainers.image.ref.name': tag.tag ?? 'latest',
        },
      }));
    }),
  };
  const dockerManifest = images.map(({ image, tags, layers }) => ({
    Config: `blobs/sha256/${digestHex(image.id)}`,
    RepoTags: tags.map((t) => t.toFamiliarString()),
    Layers: layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
  }));

  // tar-stream is loaded here only: `koker save` is the one command that writes tars.
  const tarStream = await import('tar-stream');
  // Bundled, a CommonJS module's exports may sit on the namespace's default.
  const pack = tarStream.pack ?? (tarStream as unknown as { default: typeof tarStream }).default.pack;
  const tar = pack();
  const mtime = new Date(0);
  const writing = pipeline(tar, output);
  const add = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      tar.entry({ name, mtime, mode: 0o644, type: 'file' }, data, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  try {
    tar.entry({ name: 'blobs', type: 'directory', mtime, mode: 0o755 });
    tar.entry({ name: 'blobs/sha256', type: 'directory', mtime, mode: 0o755 });
    for (const [digest, source] of blobs) {
      const name = `blobs/sha256/${digestHex(digest as Digest)}`;
      if (source.kind === 'bytes') {
        await add(name, source.bytes);
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const entry = tar.entry({ name, size: source.size, mtime, mode: 0o644, type: 'file' }, (error) =>
          error ? reject(error) : resolve(),
        );
        createReadStream(source.path)
          .on('error', reject)
          // Each read is a new buffer: counted, so they are freed every few MiB, not every ~64 MB.
          .on('data', (chunk: string | Buffer) => spentBuffers(chunk.length))
          .pipe(entry);
      });
      log?.debug({ digest, name }, 'Save blob');
    }
    await add('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    await add('index.json', Buffer.from(JSON.stringify(index)));
    await add('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
    tar.finalize();
  } catch (error) {
    tar.destroy(error as Error);
  }
  await writing;
}
