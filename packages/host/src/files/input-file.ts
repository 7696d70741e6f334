import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { InvalidValueError, NotFoundError } from '@koker/core';

/** The most a file given to a flag (`--env-file`, `--label-file`, a seccomp profile) may hold. */
export const INPUT_FILE_MAX_BYTES = 1024 * 1024;

/** What a file is, in words, for a message: "a directory", "a FIFO", "a character device". */
export function fileKind(stat: Stats): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeWords(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

function openFailure(what: string, path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new NotFoundError(`${what} ${path} does not exist`, { hint: `check the path of the ${what}` });
  if (code === 'EACCES' || code === 'EPERM')
    return new InvalidValueError(what, path, 'permission denied', { hint: `make the ${what} readable` });
  return new InvalidValueError(what, path, (error as Error).message);
}

export interface InputFileOptions {
  /** What the file is, for messages: "env file", "label file", "seccomp profile". */
  readonly what: string;
  /** Default INPUT_FILE_MAX_BYTES. */
  readonly maxBytes?: number;
}

/**
 * Reads a file a user named on the command line: it must be a regular file of at most
 * `maxBytes`. A device (/dev/zero), a FIFO or a directory is refused at once instead of read
 * forever; the read itself stops after `maxBytes` + 1 bytes (a file may grow after the check, or
 * report no size, like those under /proc).
 */
export function readInputFile(path: string, options: InputFileOptions): string {
  const maxBytes = options.maxBytes ?? INPUT_FILE_MAX_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer must not wait for one.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw openFailure(options.what, path, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new InvalidValueError(options.what, path, `it is ${fileKind(stat)}, not a regular file`, {
        hint: `give the path of a regular file of at most ${sizeWords(maxBytes)}`,
      });
    const tooLarge = () =>
      new InvalidValueError(options.what, path, `it is larger than ${sizeWords(maxBytes)}`, {
        hint: `the ${options.what} may hold at most ${sizeWords(maxBytes)}`,
      });
    if (stat.size > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooLarge();
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a file a command will read from start to end itself (`load -i`): it must exist and be a
 * regular file; no size bound (image archives are large). Returns its stat.
 */
export function requireRegularFile(path: string, what: string, hint?: string): Stats {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch (error) {
    throw openFailure(what, path, error);
  }
  if (!stat.isFile())
    throw new InvalidValueError(what, path, `it is ${fileKind(stat)}, not a regular file`, {
      hint: hint ?? `give the path of a regular file`,
    });
  return stat;
}
