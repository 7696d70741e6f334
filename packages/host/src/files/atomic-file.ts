import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { noSpaceOr } from '@koker/core';

/** fsync of a directory: makes a rename or a new entry in it durable. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface AtomicWriteOptions {
  readonly mode?: number;
  /**
   * fsync the file before the rename and the directory after it, so a power loss keeps the old
   * content or the new (default). Without it the write is still atomic for every process (a
   * rename is), but not across a power loss. Each fsync costs 5-10 ms on a VM disk.
   */
  readonly durable?: boolean;
}

/**
 * Creates `path` (it must not exist) with `data`, and fsyncs it unless `durable` is false. Alone,
 * for a file nobody can see yet (in a work directory that a later rename publishes).
 */
export async function writeNewFile(
  path: string,
  data: string | Uint8Array,
  { mode = 0o600, durable = true }: AtomicWriteOptions = {},
): Promise<void> {
  try {
    const handle = await open(path, 'wx', mode);
    try {
      await handle.writeFile(data);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // A write through a descriptor names no path: a full disk says which file.
    throw noSpaceOr(error, path, 'writing');
  }
}

/**
 * Writes `data` so that readers see the old content or the new, never a part: a temporary file
 * in the same directory, fsync, rename over the target, fsync of the directory.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  modeOrOptions: number | AtomicWriteOptions = {},
): Promise<void> {
  const options = typeof modeOrOptions === 'number' ? { mode: modeOrOptions } : modeOrOptions;
  const durable = options.durable ?? true;
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeNewFile(temporary, data, { ...options, durable });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw noSpaceOr(error, path, 'writing');
  }
  if (durable) await syncDirectory(dir);
}
