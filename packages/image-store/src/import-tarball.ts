import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Descriptor,
  type Digest,
  type ImageReference,
  ImageFormatError,
  InvalidValueError,
  type Logger,
  MediaTypes,
  type Platform,
  type StorageDriver,
  noSpaceOr,
  parseDigest,
  parseImageConfig,
} from '@koker/core';
import {
  type ProgramCompression,
  decompressWith,
  programCompressionOf,
  requireDecompressor,
} from '@koker/host';
import { type FileImageStore } from './file-image-store.js';

export interface ImportDependencies {
  readonly store: FileImageStore;
  readonly storage: StorageDriver;
  readonly log?: Logger;
}

export interface ImportOptions {
  /** The image config's `config` (Cmd, Env, ... from `--change`). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly platform: Platform;
  /** The history entry's comment: the `-m` message, else where the tarball came from. */
  readonly comment: string;
  readonly tags: readonly ImageReference[];
  readonly signal?: AbortSignal;
  /** The creation time (tests pin it). */
  readonly created?: Date;
}

const LAYER_TYPES: Readonly<Record<'gzip' | 'zstd' | 'none', string>> = {
  gzip: MediaTypes.ociLayerGzip,
  zstd: MediaTypes.ociLayerZstd,
  none: MediaTypes.ociLayer,
};

/** The compression the tarball's first bytes show (Docker's import takes xz and bzip2 too). */
function sniff(head: Buffer): 'gzip' | 'zstd' | 'none' | ProgramCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return programCompressionOf(head) ?? 'none';
}

/** The plain tar inside `from` (xz or bzip2) written to `to`, hashed as it is written. */
async function decompressToFile(
  kind: ProgramCompression,
  from: string,
  to: string,
): Promise<{ digest: Digest; size: number }> {
  const program = requireDecompressor(kind, 'the tarball');
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      Readable.from(decompressWith(program, createReadStream(from))),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(to, { flags: 'wx', mode: 0o644 }),
    );
  } catch (error) {
    throw new ImageFormatError(`the ${kind} tarball cannot be decompressed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { digest: parseDigest(`sha256:${hash.digest('hex')}`), size };
}

/**
 * `koker import`: a tarball (plain, gzip, zstd, xz or bzip2) becomes an image of one layer. The
 * tarball is kept as the layer's blob (hashed as it is written; xz and bzip2 as the plain tar
 * inside, which no layer media type names), then unpacked by the storage driver's
 * applier, which refuses what it refuses for any layer (names leaving the layer, links out of
 * it, oversize entries); the config and an OCI manifest are written, then the tags.
 */
export async function importTarball(
  deps: ImportDependencies,
  input: Readable,
  options: ImportOptions,
): Promise<{ id: Digest }> {
  const { store, storage, log } = deps;
  await store.prepare();
  return store.whileBuilding(async () => {
    const work = await store.workDir();
    try {
      let blobPath = join(work, 'blob');
      const hash = createHash('sha256');
      let size = 0;
      let head = Buffer.alloc(0);
      await pipeline(
        input,
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        }),
        createWriteStream(blobPath, { flags: 'wx', mode: 0o644 }),
        ...(options.signal ? [{ signal: options.signal }] : []),
      );
      const file = await open(blobPath, 'r');
      try {
        await file.sync();
      } finally {
        await file.close();
      }
      const sniffed = sniff(head);
      let blob: Descriptor;
      let compression: 'gzip' | 'zstd' | 'none';
      if (sniffed === 'xz' || sniffed === 'bzip2') {
        // No layer media type names xz or bzip2: the layer is kept as the plain tar inside.
        const plain = join(work, 'blob.tar');
        const decoded = await decompressToFile(sniffed, blobPath, plain);
        await rm(blobPath);
        blobPath = plain;
        compression = 'none';
        blob = { mediaType: LAYER_TYPES.none, digest: decoded.digest, size: decoded.size };
      } else {
        compression = sniffed;
        blob = {
          mediaType: LAYER_TYPES[compression],
          digest: parseDigest(`sha256:${hash.digest('hex')}`),
          size,
        };
      }
      log?.debug({ digest: blob.digest, size, compression }, 'Import tarball');
      let applied;
      try {
        applied = await storage.applyLayer(createReadStream(blobPath), {
          target: join(work, 'diff'),
          mediaType: blob.mediaType,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (error instanceof InvalidValueError) throw error;
        throw new ImageFormatError(`the tarball cannot be imported: ${(error as Error).message}`, {
          cause: error,
          hint: 'it must be a tar archive (plain, gzip, zstd, xz or bzip2); nothing was stored',
        });
      }
      // One layer: its chain ID is its diff ID.
      const chainId = applied.diffId;
      await store.commitBlobFile(blobPath, blob.digest);
      const lock = await store.lockLayer(chainId);
      try {
        if (await store.hasLayer(chainId)) {
          await rm(work, { recursive: true, force: true });
        } else {
          await store.commitLayer(work, {
            chainId,
            diffId: applied.diffId,
            size: applied.size,
            blobs: [blob],
          });
        }
      } finally {
        lock.release();
      }

      const created = (options.created ?? new Date()).toISOString();
      const configBytes = Buffer.from(
        JSON.stringify({
          architecture: options.platform.architecture,
          os: options.platform.os,
          ...(options.platform.variant ? { variant: options.platform.variant } : {}),
          created,
          comment: options.comment,
          config: options.config,
          rootfs: { type: 'layers', diff_ids: [applied.diffId] },
          history: [{ created, comment: options.comment }],
        }),
      );
      const facts = parseImageConfig(configBytes, 'the imported image config');
      const id = parseDigest(`sha256:${createHash('sha256').update(configBytes).digest('hex')}`);
      const manifestBytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          config: { mediaType: MediaTypes.ociConfig, digest: id, size: configBytes.length },
          layers: [blob],
        }),
      );
      const manifest: Descriptor = {
        mediaType: MediaTypes.ociManifest,
        digest: parseDigest(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`),
        size: manifestBytes.length,
      };
      const committed = await store.commitImage({
        configBytes,
        facts,
        chainIds: [chainId],
        manifests: [{ descriptor: manifest, bytes: manifestBytes }],
        tags: options.tags,
        digests: [],
      });
      return { id: committed.id };
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw noSpaceOr(error, work, 'importing the tarball');
    }
  });
}
