import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';

/**
 * The whole disk (`MAJ:MIN`) under a path, as the blkio controller names devices; undefined
 * when the path is not on a block device (tmpfs, overlay, NFS). A partition maps to its disk.
 */
export function wholeDiskOf(path: string): string | undefined {
  let dev: number;
  try {
    dev = statSync(path).dev;
  } catch {
    return undefined;
  }
  // glibc's major()/minor() for a 32-bit dev_t, which is what Node hands over here.
  const major = ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >>> 12) & ~0xff & 0xfffff);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (!existsSync(sys)) return undefined;
  try {
    if (!existsSync(posix.join(sys, 'partition'))) return `${major}:${minor}`;
    return readFileSync(posix.join(realpathSync(sys), '..', 'dev'), 'utf8').trim();
  } catch {
    return undefined;
  }
}
