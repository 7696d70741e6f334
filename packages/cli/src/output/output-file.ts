import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, lstatSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Writable } from 'node:stream';
import { UsageError } from '@koker/core';

/**
 * Writes a command's output file (`export -o`, `save -o`) safely: the target must be a regular
 * file or absent (never a device, FIFO, directory or symlink: `-o /dev/sda` must not write a
 * disk); the output is written to a new file beside it (O_EXCL | O_NOFOLLOW), synced, then
 * renamed over it, so a failed write leaves no half archive and the old file stays whole.
 */
export async function writeOutputFile(
  path: string,
  write: (output: Writable) => Promise<void>,
): Promise<string> {
  const target = resolve(path);
  let stats;
  try {
    stats = lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stats && !stats.isFile()) {
    throw new UsageError(`${path} is not a regular file`, {
      hint: 'give -o a new file or a regular file to replace, or write to stdout',
    });
  }
  const temporary = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  const handle = await open(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o666,
  );
  try {
    const stream = createWriteStream('', { fd: handle.fd, autoClose: false });
    await write(stream);
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}

/** A binary stream must not go to a terminal (Docker: "cowardly refusing"). */
export function refuseTerminal(what: string, example: string): void {
  if (process.stdout.isTTY) {
    throw new UsageError(`cowardly refusing to save to a terminal. Use the -o flag or redirect`, {
      hint: `e.g. ${example} (${what})`,
    });
  }
}

/** Writing to stdout failed because its reader went away (`koker export c | head`): not koker's failure. */
export function readerWentAway(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}
