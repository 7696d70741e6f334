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
 * gunzip's output buffer. Each one is a new allocation, alive until a collection: with 1 MiB
 * buffers and 4 MiB of read-ahead per layer, three layers in flight held ~20 MB (bench/memory);
 * 256 KiB costs no measurable CPU (bench/pull: 1.3 s user either way).
 */
const CHUNK = 256 * 1024;
/** How far decompression may run ahead of the writer (it runs on the threadpool meanwhile). */
const AHEAD = 512 * 1024;

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
