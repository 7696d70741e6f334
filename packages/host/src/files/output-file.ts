import { randomBytes } from 'node:crypto';
import { createWriteStream, realpathSync, statSync, type Stats } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Writable } from 'node:stream';
import { InvalidValueError, NotFoundError, noSpaceOr } from '@koker/core';
import { fileKind } from './input-file.js';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Where a command may write a file a user named (`save -o`): its directory must exist, and the
 * path must be absent or a regular file (through symlinks: the file they lead to is replaced).
 * A device, FIFO or directory is refused, never replaced: `-o /dev/full` must not swap the host's
 * device for a file. Returns the path to replace.
 */
export function checkOutputFile(path: string, what: string): string {
  const target = resolve(path);
  const stat = statOrUndefined(target);
  if (stat) {
    if (!stat.isFile())
      throw new InvalidValueError(what, path, `it is ${fileKind(stat)}, not a regular file`, {
        hint: 'give the path of a new file, or of a regular file to replace',
      });
    return realpathSync(target);
  }
  const directory = statOrUndefined(dirname(target));
  if (!directory)
    throw new NotFoundError(`cannot write ${what} ${path}: directory ${dirname(target)} does not exist`, {
      hint: 'create the directory first, or give another path',
    });
  if (!directory.isDirectory())
    throw new InvalidValueError(what, path, `${dirname(target)} is ${fileKind(directory)}, not a directory`);
  return target;
}

/**
 * Writes a file through a stream so that `path` ends up with all of it or is left as it was: the
 * bytes go to a temporary file beside it, fsynced and renamed over `path` only when `write`
 * succeeded; on any failure the temporary file is removed. A full disk is a NoSpaceError.
 */
export async function writeStreamAtomic(
  path: string,
  write: (out: Writable) => Promise<void>,
  { mode = 0o644 }: { mode?: number } = {},
): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    const out = createWriteStream(temporary, { flags: 'wx', mode });
    // An error of the file (ENOSPC) fails the writer through the stream; it must not go unhandled.
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    await Promise.race([write(out), failed]);
    if (!out.writableFinished) {
      await Promise.race([new Promise((done) => out.end(done)), failed]);
    }
    const handle = await open(temporary, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw noSpaceOr(error, path, 'writing');
  }
}
