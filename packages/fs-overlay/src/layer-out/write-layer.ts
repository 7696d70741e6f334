import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parseDigest, type Digest } from '@koker/core';
import { encodeTarHeader, TAR_END, tarPadding, type TarTypeflag } from '../tar/tar-encode.js';
import { type LayerEntry } from './upper-entries.js';

/** A layer blob written to a file: what its manifest descriptor and the config's diff_ids name. */
export interface WrittenLayer {
  /** sha256 of the uncompressed tar (rootfs.diff_ids). */
  readonly diffId: Digest;
  /** sha256 of the gzip blob (the manifest's layer digest). */
  readonly digest: Digest;
  /** Bytes of the gzip blob. */
  readonly size: number;
  readonly entries: number;
  /** Bytes of file content archived. */
  readonly contentBytes: number;
}

const TYPEFLAGS: Record<LayerEntry['type'], TarTypeflag> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

interface Counts {
  entries: number;
  contentBytes: number;
}

async function* tarChunks(
  entries: AsyncIterable<LayerEntry>,
  hash: Hash,
  counts: Counts,
): AsyncGenerator<Buffer> {
  const emit = (chunk: Buffer) => {
    hash.update(chunk);
    return chunk;
  };
  for await (const entry of entries) {
    counts.entries++;
    const size = entry.type === 'file' ? entry.size : 0;
    yield emit(
      encodeTarHeader({
        // Directories end with '/', as Docker and GNU tar write them.
        name: entry.type === 'dir' ? `${entry.name}/` : entry.name,
        typeflag: TYPEFLAGS[entry.type],
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size,
        mtime: entry.mtime,
        ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
        ...(entry.devmajor !== undefined ? { devmajor: entry.devmajor, devminor: entry.devminor ?? 0 } : {}),
        ...(entry.xattrs ? { xattrs: entry.xattrs } : {}),
      }),
    );
    if (entry.type !== 'file') continue;
    let written = 0;
    for await (const chunk of entry.content ?? []) {
      written += chunk.length;
      yield emit(chunk);
    }
    counts.contentBytes += written;
    yield emit(tarPadding(size));
  }
  yield emit(TAR_END);
}

/**
 * Writes `entries` as a gzip-compressed tar to a new file at `path` (fsynced), hashing the tar
 * (the diff ID) and the blob (its digest) on the way: one pass, nothing staged.
 */
export async function writeLayerBlob(
  entries: AsyncIterable<LayerEntry>,
  path: string,
): Promise<WrittenLayer> {
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const counts: Counts = { entries: 0, contentBytes: 0 };
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      blobHash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(
    Readable.from(tarChunks(entries, diffHash, counts), { objectMode: false }),
    createGzip(),
    tap,
    createWriteStream(path, { flags: 'wx', mode: 0o644 }),
  );
  const file = await open(path, 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
  return {
    diffId: parseDigest(`sha256:${diffHash.digest('hex')}`),
    digest: parseDigest(`sha256:${blobHash.digest('hex')}`),
    size,
    entries: counts.entries,
    contentBytes: counts.contentBytes,
  };
}
