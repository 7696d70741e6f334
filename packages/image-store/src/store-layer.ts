import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import {
  type AppliedLayer,
  type Descriptor,
  type StorageDriver,
  shortDigest,
  type Digest,
  type Logger,
  ImageFormatError,
  isNoSpace,
  noSpaceOr,
} from '@koker/core';
import { spentBuffers } from '@koker/host';
import { type ExtractionTurn } from './extraction-turn.js';
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
  /**
   * Shared by the layers of one pull: the layer holding it extracts while it downloads, the
   * others download to their blob files and extract from them when their turn comes.
   */
  readonly turn?: ExtractionTurn;
}

/**
 * Stores one layer unless the store has it: under the layer's lock, the blob is streamed both to
 * a file and into the storage driver's applier (extraction runs while bytes arrive), or, while
 * another layer of the pull has the extraction turn, to the file first and extracted from it;
 * then committed only when the stream ended cleanly (verified) and the applier's diff ID is the one
 * the image config names. Returns whether it was downloaded.
 */
export async function storeLayer(layer: LayerToStore, context: StoreLayerContext): Promise<boolean> {
  const { store, log } = context;
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
    const blobPath = join(work, 'blob');
    const source = await l.open((n) => {
      received += n;
      ctx.report(shortId, { phase: 'downloading', current: received, total: l.blob.size });
    });
    const target = join(work, 'diff');
    const onProgress = (bytes: number) => {
      if (received >= l.blob.size) ctx.report(shortId, { phase: 'extracting', current: bytes });
    };
    const turn = ctx.turn;
    let holding = turn?.takeIfFree() ?? false;
    let applied: AppliedLayer;
    try {
      if (!turn || holding) {
        applied = await downloadAndApply(l, source, blobPath, target, ctx, onProgress);
      } else {
        // Another layer is extracting: this one waits on disk, not in memory.
        log?.debug({ digest: l.blob.digest, blob: blobPath }, 'Spool layer until its turn to extract');
        await copyToBlob(source, blobPath, [], new AbortController());
        ctx.report(shortId, { phase: 'downloaded' });
        await turn.take();
        holding = true;
        ctx.signal?.throwIfAborted();
        log?.debug({ digest: l.blob.digest, blob: blobPath }, 'Extract spooled layer');
        applied = await unpack(
          l,
          createReadStream(blobPath, { highWaterMark: 256 * 1024 }),
          target,
          ctx,
          onProgress,
          () => false,
        );
      }
    } finally {
      if (holding) turn?.release();
    }
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

/**
 * The blob streamed both to its file and into the storage driver's applier (extraction runs while
 * bytes arrive).
 */
async function downloadAndApply(
  l: LayerToStore,
  source: Readable,
  blobPath: string,
  target: string,
  ctx: StoreLayerContext,
  onProgress: (bytes: number) => void,
): Promise<AppliedLayer> {
  // Small queues: every byte queued here is a buffer alive in memory (bench/memory).
  const input = new PassThrough({ highWaterMark: 64 * 1024 });
  // The copy rejects with its own failure; the applier may have stopped reading (a small or
  // broken layer), so the error destroy() emits here must not go unhandled.
  input.on('error', () => undefined);
  const stop = new AbortController();
  let copyFailed = false;
  let failure: { error: unknown } | undefined;
  const applying = unpack(l, input, target, ctx, onProgress, () => copyFailed).catch((error: unknown) => {
    failure ??= { error };
    stop.abort();
    throw error;
  });
  const copying = copyToBlob(source, blobPath, [input], stop).catch((error: unknown) => {
    failure ??= { error };
    copyFailed = true;
    throw error;
  });
  // Both settle before the first failure is thrown: the caller removes the work directory next,
  // and an applier that started late (its code imported on first use) would make its target
  // there again after a copy that failed early.
  const [applied] = await Promise.allSettled([applying, copying]);
  if (failure) throw failure.error;
  return (applied as PromiseFulfilledResult<AppliedLayer>).value;
}

/** The storage driver's applier over `input`; its own failure is said as this layer's. */
async function unpack(
  l: LayerToStore,
  input: Readable,
  target: string,
  ctx: StoreLayerContext,
  onProgress: (bytes: number) => void,
  failedElsewhere: () => boolean,
): Promise<AppliedLayer> {
  try {
    return await ctx.storage.applyLayer(input, {
      target,
      mediaType: l.blob.mediaType,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress,
    });
  } catch (error) {
    // The applier's own failure (a bad tar, a path escaping the layer) says which layer.
    if (failedElsewhere() || isNoSpace(error)) throw error;
    throw new ImageFormatError(`layer ${l.blob.digest} cannot be unpacked: ${(error as Error).message}`, {
      cause: error,
      hint: 'the layer is corrupt or unsafe; nothing was stored',
    });
  }
}

/**
 * Copies `source` into a new blob file and each of `sinks` (which take each chunk at once; only
 * backpressure makes the loop wait), fsyncs the file, then ends the sinks. On failure everything
 * is destroyed and the failure thrown.
 */
async function copyToBlob(
  source: Readable,
  blobPath: string,
  sinks: readonly Writable[],
  stop: AbortController,
): Promise<void> {
  const out = createWriteStream(blobPath, { flags: 'wx', mode: 0o644, highWaterMark: 256 * 1024 });
  out.on('error', (error) => stop.abort(error));
  const all = [out, ...sinks];
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (stop.signal.aborted) throw stop.signal.reason;
      for (const sink of all) sink.write(chunk);
      // Wait for all at once: a 'drain' that fired while waiting for another is not missed.
      await Promise.all(
        all.filter((s) => s.writableNeedDrain).map((s) => once(s, 'drain', { signal: stop.signal })),
      );
      spentBuffers(chunk.length);
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
    for (const sink of sinks) sink.end();
  } catch (error) {
    source.destroy();
    for (const sink of sinks) sink.destroy(error as Error);
    out.destroy();
    throw error;
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
