import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { HostError } from '@koker/core';
import { loadLibc } from '../kernel/koffi-syscalls.js';

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

/**
 * The compressions Docker's archives take besides gzip and zstd (no layer media type names
 * them): decompressed by Debian's programs, recognised by their magic bytes.
 */
export const PROGRAM_COMPRESSIONS = [
  { kind: 'bzip2', magic: Buffer.from('BZh', 'latin1'), apt: 'bzip2' },
  { kind: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), apt: 'xz-utils' },
] as const;

export type ProgramCompression = (typeof PROGRAM_COMPRESSIONS)[number]['kind'];

/** How many first bytes `programCompressionOf` needs. */
export const PROGRAM_MAGIC_LENGTH = 6;

/** bzip2 or xz, when a stream's first bytes say so. */
export function programCompressionOf(head: Buffer): ProgramCompression | undefined {
  return PROGRAM_COMPRESSIONS.find((c) => head.subarray(0, c.magic.length).equals(c.magic))?.kind;
}

/** The program that decompresses `kind`, or a HostError naming the Debian package to install. */
export function requireDecompressor(kind: ProgramCompression | 'zstd', what = 'the archive'): string {
  const program = findProgram(kind);
  if (program) return program;
  const apt = PROGRAM_COMPRESSIONS.find((c) => c.kind === kind)?.apt ?? kind;
  throw new HostError(`${what} is ${kind}-compressed and the ${kind} program is not installed`, {
    hint: `apt-get install ${apt}, or decompress it first`,
  });
}

/**
 * Decompressed by a program (`zstd`, `bzip2`, `xz`: each takes `-d -c -q`) in a child process,
 * streamed; a failing program's own message is the error's.
 */
export async function* decompressWith(program: string, input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const child = spawn(program, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  widenPipe(child.stdout);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text.slice(0, 1000)));
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
 * Lets the program run up to 1 MiB ahead of its reader: with the default 64 KiB pipe it stalls
 * while the reader writes files, and decompression and writing take turns instead of overlapping.
 */
function widenPipe(stream: Readable): void {
  const fd = (stream as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return;
  try {
    fcntl ??= loadLibc().lib.func('int fcntl(int fd, int cmd, int arg)');
    fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
  } catch {
    // an optimisation only
  }
}
