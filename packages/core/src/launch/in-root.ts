import { constants, closeSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidValueError } from '../errors/index.js';

const MAX_LINKS = 40;

/**
 * The host path of `path` inside `root`, every symlink resolved as if `root` were `/` (the way
 * openat2's RESOLVE_IN_ROOT does): an image's `/etc/passwd -> /etc/shadow` or `../../..` stays
 * in the image. Safe here because nothing runs in the root yet (no one can swap a component).
 * A missing component ends the walk: the rest is appended as is.
 */
export function resolveInRoot(root: string, path: string): string {
  const pending = path.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = posix.join(root, ...done, part);
    let stat;
    try {
      stat = lstatSync(host);
    } catch {
      return posix.join(root, ...done, part, ...pending);
    }
    if (!stat.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS)
      throw new InvalidValueError('path in the image', path, 'too many levels of symbolic links');
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(root, ...done);
}

/** Reads a regular file inside `root` (see resolveInRoot); undefined when it is absent. */
export function readFileInRoot(root: string, path: string, maxBytes = 4 * 1024 * 1024): string | undefined {
  const host = resolveInRoot(root, path);
  let fd: number;
  try {
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    // A FIFO or device under /etc must not hang or feed us: only regular files are read.
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
