import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * Reads the regular file at a host path already resolved (no symlink followed at its end);
 * undefined when it is absent, not a regular file, or larger than `maxBytes`.
 */
export function readRegularFile(host: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw error;
  }
  return readOpenRegularFile(fd, maxBytes);
}

/**
 * Reads an open file if it is a regular file of at most `maxBytes` (undefined otherwise), and
 * closes it either way. A FIFO or device under /etc must not hang or feed us.
 */
export function readOpenRegularFile(fd: number, maxBytes: number): string | undefined {
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
