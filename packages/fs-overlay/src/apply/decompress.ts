import { type Duplex, Readable, Transform, pipeline } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { Decompress } from 'fzstd';
import { decompressWith, findProgram } from '@koker/host';
import { sniffCompression, type Compression } from './layer-media-type.js';

/**
 * How zstd layers are decompressed: Debian's `zstd -dc` in a child process (native speed, on
 * another core), or fzstd in JavaScript where no `zstd` program is installed (correct, slower).
 */
export type ZstdDecoder = 'auto' | 'process' | 'js';

/**
 * gunzip's output buffer: 1 MiB rather than 256 KiB means a quarter of the threadpool round
 * trips and of the chunks to hash, parse and write (bench/pull: ~5-10 % less CPU per pull).
 */
const CHUNK = 1024 * 1024;
/** How far decompression may run ahead of the writer (it runs on another core meanwhile). */
const AHEAD = 4 * 1024 * 1024;

/** The `zstd` program on PATH, if any. */
export function findZstd(): string | undefined {
  return findProgram('zstd');
}

export interface Decompressed {
  readonly compression: Compression;
  readonly chunks: AsyncIterable<Buffer>;
}

/** Reads enough of the stream to see its compression, then yields it uncompressed. */
export async function decompress(source: AsyncIterable<Buffer>, zstd: ZstdDecoder): Promise<Decompressed> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < 4) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headLength += next.value.length;
  }
  const compression = sniffCompression(Buffer.concat(head));
  async function* input(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  if (compression === 'none') return { compression, chunks: input() };
  if (compression === 'gzip')
    return {
      compression,
      chunks: through(
        input(),
        createGunzip({ chunkSize: CHUNK, readableHighWaterMark: AHEAD } as ZlibOptions),
      ),
    };
  const program = zstd === 'js' ? undefined : findZstd();
  if (zstd === 'process' && !program)
    throw new Error('the zstd program is not installed (apt-get install zstd)');
  return {
    compression,
    chunks: program ? decompressWith(program, input()) : through(input(), fzstdTransform()),
  };
}

async function* through(input: AsyncIterable<Buffer>, transform: Duplex): AsyncGenerator<Buffer> {
  pipeline(Readable.from(input, { objectMode: false }), transform, () => undefined);
  for await (const chunk of transform) yield chunk as Buffer;
}

function fzstdTransform(): Transform {
  const decoder = new Decompress((data) => transform.push(Buffer.from(data)));
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decoder.push(chunk);
        callback();
      } catch (error) {
        callback(new Error(`zstd: ${(error as Error).message}`));
      }
    },
    flush(callback) {
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(new Error(`zstd: ${(error as Error).message}`));
      }
    },
  });
  return transform;
}
