import { type Writable } from 'node:stream';
import { UsageError } from '@koker/core';
import { checkOutputFile, writeStreamAtomic } from '@koker/host';

/**
 * Writes a command's output file (`export -o`, `save -o`) safely: the target must be a regular
 * file or absent, in a directory that exists (never a device, FIFO, directory or symlink: `-o
 * /dev/sda` must not write a disk); the output goes to a new file beside it, synced, then renamed
 * over it, so a failed write leaves no half archive and the old file stays whole (@koker/host's
 * checkOutputFile and writeStreamAtomic). Returns the file written.
 */
export async function writeOutputFile(
  path: string,
  write: (output: Writable) => Promise<void>,
): Promise<string> {
  const target = checkOutputFile(path, 'output file');
  await writeStreamAtomic(target, write);
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
