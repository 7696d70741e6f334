import { closeSync, constants, lstatSync, openSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { HostError, InvalidValueError } from '@koker/core';
import { loadLibc, readOpenRegularFile, readRegularFile } from '@koker/host';

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
  return readRegularFile(resolveInRoot(root, path), maxBytes);
}

const SYS_OPENAT2 = 437; // x86_64 and arm64 alike (the new syscall table)
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
let openat2: ((dirfd: number, path: string, how: Buffer) => number) | undefined;

/**
 * Reads a file inside a running process's root (`/proc/PID/root`) with openat2(RESOLVE_IN_ROOT):
 * the container runs, so it could swap a symlink between a check and an open; the kernel
 * resolves the whole path at once, inside that root. Undefined when it is absent.
 */
export function readFileInProcessRoot(
  pid: number,
  path: string,
  maxBytes = 4 * 1024 * 1024,
): string | undefined {
  if (!openat2) {
    const { lib, errno } = loadLibc();
    const call = lib.func('long syscall(long nr, int dirfd, const char *path, void *how, size_t size)');
    openat2 = (dirfd, file, how) => {
      const fd = call(SYS_OPENAT2, dirfd, file, how, how.length);
      return fd >= 0 ? fd : -errno();
    };
  }
  const root = openSync(`/proc/${pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const how = Buffer.alloc(24);
    how.writeBigUInt64LE(BigInt(constants.O_RDONLY | constants.O_NONBLOCK | 0o2000000), 0);
    how.writeBigUInt64LE(BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), 16);
    const fd = openat2(root, path, how);
    if (fd < 0) {
      if ([-2, -20, -40].includes(fd)) return undefined; // ENOENT, ENOTDIR, ELOOP
      throw new HostError(`cannot open ${path} in the root of process ${pid}: errno ${-fd}`);
    }
    return readOpenRegularFile(fd, maxBytes);
  } finally {
    closeSync(root);
  }
}
