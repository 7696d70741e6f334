import { fstatSync, type Stats } from 'node:fs';
import { SyscallError } from '@koker/core';
import { AT, AtCalls, ERRNO, O, RESOLVE } from '../kernel/at-calls.js';

/** RESOLVE_IN_ROOT (Linux 5.6): '/' and '..' stop at the directory fd, as in a chroot. */
const RESOLVE_IN_ROOT = 0x10;

/** How the paths a user names are resolved: in a container's root, or as host paths. */
export interface PathBase {
  /** A container's root directory descriptor, or AT_FDCWD for the host. */
  readonly fd: number;
  readonly resolve: number;
}

/**
 * Paths of a container: symlinks (absolute or relative) and '..' are resolved inside its root
 * directory, never on the host; magic links (/proc/self/root...) are refused.
 */
export function inContainer(rootFd: number): PathBase {
  return { fd: rootFd, resolve: RESOLVE_IN_ROOT | RESOLVE.NO_MAGICLINKS };
}

/** Host paths, as the user gives them (their symlinks are the user's own). */
export const ON_HOST: PathBase = { fd: AT.FDCWD, resolve: 0 };

let calls: AtCalls | undefined;
export function atCalls(): AtCalls {
  calls ??= new AtCalls();
  return calls;
}

/** A path as the exact bytes the kernel takes (at-calls pass latin1 byte strings). */
export function bytePath(path: string): string {
  return Buffer.from(path, 'utf8').toString('latin1');
}

/** A byte-string name back as text (for messages and tar headers). */
export function textPath(path: string): string {
  return Buffer.from(path, 'latin1').toString('utf8');
}

/** Where `path` ends: its parent and its last component ('' for the root). */
function splitLast(path: string): { parent: string; leaf: string } {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return { parent: '.', leaf: trimmed };
  return { parent: trimmed.slice(0, slash) || '/', leaf: trimmed.slice(slash + 1) };
}

/**
 * An O_PATH descriptor of `path` (a byte string) resolved from `base`, or minus the errno.
 * Without `follow` a final symlink is opened itself (the parent resolved in the base, the
 * last component never followed); a trailing '/' or '/.' always follows, as the kernel does.
 */
export function openPath(base: PathBase, path: string, follow: boolean): number {
  const at = atCalls();
  const asserted = /\/\.?$/.test(path);
  const { parent, leaf } = splitLast(path);
  if (follow || asserted || leaf === '' || leaf === '.' || leaf === '..') {
    return at.openat2(base.fd, path === '' ? '.' : path, O.PATH, 0, base.resolve);
  }
  const parentFd = at.openat2(base.fd, parent, O.PATH | O.DIRECTORY, 0, base.resolve);
  if (parentFd < 0) return parentFd;
  try {
    return at.openat2(
      parentFd,
      leaf,
      O.PATH | O.NOFOLLOW,
      0,
      RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS,
    );
  } finally {
    at.close(parentFd);
  }
}

/** fstat of a descriptor (O_PATH ones included). */
export function statFd(fd: number): Stats {
  return fstatSync(fd);
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

/** What is at `path`: its stat, or undefined when it does not exist (other errors throw). */
export function lstatIn(base: PathBase, path: string, follow: boolean): Stats | undefined {
  const fd = openPath(base, path, follow);
  if (fd === -ERRNO.ENOENT || fd === -ERRNO.ENOTDIR) return undefined;
  if (fd < 0) throw new SyscallError('openat2', -fd, textPath(path));
  try {
    return statFd(fd);
  } finally {
    atCalls().close(fd);
  }
}
