import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import {
  type Descriptor,
  type StorageDriver,
  shortDigest,
  type Digest,
  type Logger,
  ImageFormatError,
  isNoSpace,
  noSpaceOr,
} from '@koker/core';
import { type FileImageStore } from './file-image-store.js';
import { type LayerState } from './layer-progress.js';

export interface LayerToStore {
  readonly chainId: Digest;
  /** The diff ID the image config promises for this layer. */
  readonly diffId: Digest;
  readonly blob: Descriptor;
  /** Opens the blob's bytes: a stream that fails rather than ends if they do not verify. */
  readonly open: (onBytes: (n: number) => void) => Promise<Readable>;
}

export interface StoreLayerContext {
  readonly store: FileImageStore;
  readonly storage: StorageDriver;
  readonly log?: Logger;
  readonly signal?: AbortSignal;
  readonly report: (id: string, state: LayerState) => void;
}

/**
 * Stores one layer unless the store has it: under the layer's lock, the blob is streamed both to
 * a file and into the storage driver's applier (extraction runs while bytes arrive), then
 * committed only when the stream ended cleanly (verified) and the applier's diff ID is the one
 * the image config names. Returns whether it was downloaded.
 */
export async function storeLayer(layer: LayerToStore, context: StoreLayerContext): Promise<boolean> {
  const { store, storage, log } = context;
  const id = shortDigest(layer.blob.digest);
  if (await store.hasLayer(layer.chainId)) {
    context.report(id, { phase: 'exists' });
    return false;
  }
  const lock = await store.lockLayer(layer.chainId);
  try {
    // Another process may have stored it while we waited for the lock.
    if (await store.hasLayer(layer.chainId)) {
      context.report(id, { phase: 'exists' });
      return false;
    }
    const work = await store.workDir();
    try {
      await fetchAndApply(layer, work, context, id);
      return true;
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      // A full disk says so, with where: not "corrupt" (the applier's failure would say that).
      throw noSpaceOr(error, work, `storing layer ${layer.blob.digest}`);
    }
  } finally {
    lock.release();
  }

  async function fetchAndApply(l: LayerToStore, work: string, ctx: StoreLayerContext, shortId: string) {
    log?.debug(
      { digest: l.blob.digest, chainId: l.chainId, mediaType: l.blob.mediaType, work },
      'Fetch layer',
    );
    let received = 0;
    let unpacked = 0;
    const blobPath = join(work, 'blob');
    const source = await l.open((n) => {
      received += n;
      ctx.report(shortId, { phase: 'downloading', current: received, total: l.blob.size });
    });
    const target = join(work, 'diff');
    // Small queues: every byte queued here is a buffer alive in memory (bench/memory).
    const input = new PassThrough({ highWaterMark: 64 * 1024 });
    // The copy loop below rejects with its own failure; the applier may have stopped reading
    // (a small or broken layer), so the error destroy() emits here must not go unhandled.
    input.on('error', () => undefined);
    const stop = new AbortController();
    let copyFailure: unknown;
    const applying = storage
      .applyLayer(input, {
        target,
        mediaType: l.blob.mediaType,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (bytes) => {
          unpacked = bytes;
          if (received >= l.blob.size) ctx.report(shortId, { phase: 'extracting', current: unpacked });
        },
      })
      .catch((error: unknown) => {
        stop.abort();
        // The applier's own failure (a bad tar, a path escaping the layer) says which layer.
        if (copyFailure !== undefined || isNoSpace(error)) throw error;
        throw new ImageFormatError(`layer ${l.blob.digest} cannot be unpacked: ${(error as Error).message}`, {
          cause: error,
          hint: 'the layer is corrupt or unsafe; nothing was stored',
        });
      });
    const copying = (async () => {
      // The file and the applier take each chunk at once; only backpressure makes the loop wait.
      const out = createWriteStream(blobPath, { flags: 'wx', mode: 0o644, highWaterMark: 256 * 1024 });
      out.on('error', (error) => stop.abort(error));
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          if (stop.signal.aborted) throw stop.signal.reason;
          out.write(chunk);
          input.write(chunk);
          // Wait for both at once: a 'drain' that fired while waiting for the other is not missed.
          await Promise.all(
            [out, input]
              .filter((s) => s.writableNeedDrain)
              .map((s) => once(s, 'drain', { signal: stop.signal })),
          );
        }
        await new Promise<void>((resolve, reject) => {
          out.once('close', resolve);
          out.once('error', reject);
          out.end();
        });
        // fsync through a second descriptor: it flushes the same file.
        const file = await open(blobPath, 'r');
        try {
          await file.sync();
        } finally {
          await file.close();
        }
        input.end();
      } catch (error) {
        copyFailure = error;
        source.destroy();
        input.destroy(error as Error);
        out.destroy();
        throw error;
      }
    })();
    const [applied] = await Promise.all([applying, copying]);
    if (applied.diffId !== l.diffId) {
      throw new ImageFormatError(
        `layer ${l.blob.digest} unpacks to ${applied.diffId}, but the image config names ${l.diffId}`,
        { hint: 'the image is inconsistent (or the layer is corrupt); nothing was stored' },
      );
    }
    await store.commitBlobFile(blobPath, l.blob.digest);
    await store.commitLayer(work, {
      chainId: l.chainId,
      diffId: l.diffId,
      size: applied.size,
      blobs: [{ mediaType: l.blob.mediaType, digest: l.blob.digest, size: l.blob.size }],
    });
    ctx.report(shortId, { phase: 'done' });
  }
}

/** Runs `tasks` with at most `limit` at once; the first failure stops new ones and is thrown. */
export async function runLimited<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < tasks.length) {
      const index = next++;
      try {
        results[index] = await (tasks[index] as () => Promise<T>)();
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}
