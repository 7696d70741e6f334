import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Duplex, Readable, Transform, pipeline } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { Decompress } from 'fzstd';
import { loadLibc } from '@koker/host';
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

const programs = new Map<string, string | null>();

/** A program on PATH (looked up once per name), e.g. `zstd`, `bzip2`, `xz`. */
export function findProgram(name: string): string | undefined {
  let found = programs.get(name);
  if (found === undefined) {
    found = null;
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        found = candidate;
        break;
      } catch {
        // not here
      }
    }
    programs.set(name, found);
  }
  return found ?? undefined;
}

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

/** Decompressed by a program (`zstd`, `bzip2`, `xz`: each takes `-d -c -q`) in a child process, streamed. */
export async function* decompressWith(program: string, input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const child = spawn(program, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  widenPipe(child.stdout);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  let feedError: Error | undefined;
  pipeline(Readable.from(input, { objectMode: false }), child.stdin, (error) => {
    // EPIPE when the program stopped reading: its own exit status says why.
    if (error && (error as NodeJS.ErrnoException).code !== 'EPIPE') feedError = error;
  });
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (feedError) throw feedError;
    if (code !== 0) throw new Error(`${program} -d failed: ${stderr.trim() || `exit code ${code}`}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const F_SETPIPE_SZ = 1031;
const PIPE_SIZE = 1024 * 1024;
let fcntl: ((fd: number, cmd: number, arg: number) => number) | undefined;

/**
 * Lets zstd run up to 1 MiB ahead of the writer: with the default 64 KiB pipe it stalls while
 * the main thread writes files, and decompression and writing take turns instead of overlapping.
 */
function widenPipe(stream: unknown): void {
  const fd = (stream as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return;
  try {
    fcntl ??= loadLibc().lib.func('int fcntl(int fd, int cmd, int arg)');
    fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
  } catch {
    // an optimisation only
  }
}
