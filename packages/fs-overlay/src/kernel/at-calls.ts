import { loadLibc } from '@koker/host';
import { SyscallError } from '@koker/core';

// System calls added since Linux 5.1 share one number on every architecture, so openat2 (which
// glibc does not wrap) is safe to call through syscall(2).
const SYS_OPENAT2 = 437;

export const O = {
  RDONLY: 0,
  WRONLY: 0o1,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08 } as const;
/** Every lookup the applier makes: beneath the directory fd, through no symlink of any kind. */
export const RESOLVE_SAFE = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS;

export const AT = { FDCWD: -100, SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, EMPTY_PATH: 0x1000 } as const;

export const S = { IFIFO: 0o010000, IFCHR: 0o020000, IFBLK: 0o060000 } as const;

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOTEMPTY: 39,
  ELOOP: 40,
  EXDEV: 18,
  EAGAIN: 11,
  EBUSY: 16,
  ENOSYS: 38,
  EOPNOTSUPP: 95,
  ENODATA: 61,
  ERANGE: 34,
} as const;

type Fn = (...args: unknown[]) => number;

interface Bound {
  syscall5: Fn;
  mkdirat: Fn;
  mknodat: Fn;
  symlinkat: Fn;
  linkat: Fn;
  unlinkat: Fn;
  fchownat: Fn;
  fchown: Fn;
  fchmod: Fn;
  fchmodat: Fn;
  futimens: Fn;
  utimensat: Fn;
  fsetxattr: Fn;
  lsetxattr: Fn;
  fgetxattr: Fn;
  lgetxattr: Fn;
  llistxattr: Fn;
  getxattr: Fn;
  listxattr: Fn;
  close: Fn;
  readlinkat: Fn;
  errno: () => number;
}

let bound: Bound | undefined;

function bind(): Bound {
  if (bound) return bound;
  const { lib, errno } = loadLibc();
  // Paths are `const uint8_t *` so that names go down as the exact bytes of the tar entry.
  bound = {
    syscall5: lib.func('long syscall(long nr, long a, const uint8_t *b, const uint8_t *c, long d)'),
    mkdirat: lib.func('int mkdirat(int dirfd, const uint8_t *path, uint32_t mode)'),
    mknodat: lib.func('int mknodat(int dirfd, const uint8_t *path, uint32_t mode, uint64_t dev)'),
    symlinkat: lib.func('int symlinkat(const uint8_t *target, int dirfd, const uint8_t *path)'),
    linkat: lib.func(
      'int linkat(int olddirfd, const uint8_t *oldpath, int newdirfd, const uint8_t *newpath, int flags)',
    ),
    unlinkat: lib.func('int unlinkat(int dirfd, const uint8_t *path, int flags)'),
    fchownat: lib.func('int fchownat(int dirfd, const uint8_t *path, uint32_t uid, uint32_t gid, int flags)'),
    fchown: lib.func('int fchown(int fd, uint32_t uid, uint32_t gid)'),
    fchmod: lib.func('int fchmod(int fd, uint32_t mode)'),
    fchmodat: lib.func('int fchmodat(int dirfd, const uint8_t *path, uint32_t mode, int flags)'),
    futimens: lib.func('int futimens(int fd, const uint8_t *times)'),
    utimensat: lib.func('int utimensat(int dirfd, const uint8_t *path, const uint8_t *times, int flags)'),
    fsetxattr: lib.func(
      'int fsetxattr(int fd, const char *name, const uint8_t *value, size_t size, int flags)',
    ),
    lsetxattr: lib.func(
      'int lsetxattr(const uint8_t *path, const char *name, const uint8_t *value, size_t size, int flags)',
    ),
    fgetxattr: lib.func('long fgetxattr(int fd, const char *name, _Out_ uint8_t *value, size_t size)'),
    lgetxattr: lib.func(
      'long lgetxattr(const uint8_t *path, const char *name, _Out_ uint8_t *value, size_t size)',
    ),
    llistxattr: lib.func('long llistxattr(const uint8_t *path, _Out_ uint8_t *list, size_t size)'),
    getxattr: lib.func(
      'long getxattr(const uint8_t *path, const char *name, _Out_ uint8_t *value, size_t size)',
    ),
    listxattr: lib.func('long listxattr(const uint8_t *path, _Out_ uint8_t *list, size_t size)'),
    close: lib.func('int close(int fd)'),
    readlinkat: lib.func('long readlinkat(int dirfd, const uint8_t *path, _Out_ uint8_t *buf, size_t size)'),
    errno,
  };
  return bound;
}

/** A NUL-terminated C string of a byte-string (latin1) path. */
export function cpath(path: string): Buffer {
  return Buffer.from(`${path}\0`, 'latin1');
}

/** Two `struct timespec` (atime, mtime) as utimensat(2) takes them. */
export function timespecs(
  atime: { sec: number; nsec: number },
  mtime: { sec: number; nsec: number },
): Buffer {
  const buffer = Buffer.alloc(32);
  writeInt64(buffer, 0, atime.sec);
  writeInt64(buffer, 8, atime.nsec);
  writeInt64(buffer, 16, mtime.sec);
  writeInt64(buffer, 24, mtime.nsec);
  return buffer;
}

/** A signed 64-bit little-endian integer from a safe JS integer, without BigInt (hot path). */
function writeInt64(buffer: Buffer, offset: number, value: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  buffer.writeUInt32LE(value - high * 0x1_0000_0000, offset);
  buffer.writeInt32LE(high, offset + 4);
}

/** glibc's makedev(3). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/**
 * The *at system calls the layer applier and the overlay mount make, through koffi, on the main
 * thread. Each returns the call's result, or minus the errno when it fails: callers decide which
 * errors are expected (EEXIST when an entry replaces another) and turn the others into errors
 * with `check`.
 */
export class AtCalls {
  private readonly c = bind();
  private readonly how = Buffer.alloc(24);

  private result(r: number): number {
    return r < 0 ? -this.c.errno() : r;
  }

  /** openat2(2): flags, mode and RESOLVE_* flags. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
    // struct open_how { u64 flags; u64 mode; u64 resolve; }: every value fits the low word.
    const how = this.how;
    how.writeUInt32LE(flags | O.CLOEXEC, 0);
    how.writeUInt32LE(mode, 8);
    how.writeUInt32LE(resolve, 16);
    return this.result(this.c.syscall5(SYS_OPENAT2, dirfd, cpath(path), how, 24));
  }

  mkdirat(dirfd: number, path: string, mode: number): number {
    return this.result(this.c.mkdirat(dirfd, cpath(path), mode));
  }

  mknodat(dirfd: number, path: string, mode: number, dev: bigint): number {
    return this.result(this.c.mknodat(dirfd, cpath(path), mode, dev));
  }

  symlinkat(target: string, dirfd: number, path: string): number {
    return this.result(this.c.symlinkat(cpath(target), dirfd, cpath(path)));
  }

  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags = 0): number {
    return this.result(this.c.linkat(olddirfd, cpath(oldpath), newdirfd, cpath(newpath), flags));
  }

  unlinkat(dirfd: number, path: string, flags = 0): number {
    return this.result(this.c.unlinkat(dirfd, cpath(path), flags));
  }

  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): number {
    return this.result(this.c.fchownat(dirfd, cpath(path), uid, gid, flags));
  }

  fchown(fd: number, uid: number, gid: number): number {
    return this.result(this.c.fchown(fd, uid, gid));
  }

  fchmod(fd: number, mode: number): number {
    return this.result(this.c.fchmod(fd, mode));
  }

  fchmodat(dirfd: number, path: string, mode: number): number {
    return this.result(this.c.fchmodat(dirfd, cpath(path), mode, 0));
  }

  futimens(fd: number, times: Buffer): number {
    return this.result(this.c.futimens(fd, times));
  }

  utimensat(dirfd: number, path: string, times: Buffer, flags: number): number {
    return this.result(this.c.utimensat(dirfd, cpath(path), times, flags));
  }

  fsetxattr(fd: number, name: string, value: Buffer): number {
    return this.result(this.c.fsetxattr(fd, name, value, value.length, 0));
  }

  /** Sets an xattr on `name` in `dirfd` without following it (through /proc/self/fd). */
  lsetxattrAt(dirfd: number, path: string, name: string, value: Buffer): number {
    return this.result(
      this.c.lsetxattr(cpath(`/proc/self/fd/${dirfd}/${path}`), name, value, value.length, 0),
    );
  }

  /** An xattr's value, or undefined when it is not set. */
  fgetxattr(fd: number, name: string): Buffer | undefined {
    const buffer = Buffer.alloc(65536);
    const r = this.result(this.c.fgetxattr(fd, name, buffer, buffer.length));
    if (r === -ERRNO.ENODATA) return undefined;
    check('fgetxattr', r, `${fd}, ${name}`);
    return buffer.subarray(0, r);
  }

  lgetxattr(path: string, name: string): Buffer | undefined {
    const buffer = Buffer.alloc(65536);
    const r = this.result(this.c.lgetxattr(cpath(path), name, buffer, buffer.length));
    if (r === -ERRNO.ENODATA) return undefined;
    check('lgetxattr', r, `${path}, ${name}`);
    return buffer.subarray(0, r);
  }

  /** Names of the xattrs set on a path (not following a final symlink). */
  llistxattr(path: string): string[] {
    const buffer = Buffer.alloc(65536);
    const r = this.result(this.c.llistxattr(cpath(path), buffer, buffer.length));
    if (r === -ERRNO.EOPNOTSUPP) return [];
    check('llistxattr', r, path);
    return buffer.toString('latin1', 0, r).split('\0').filter(Boolean);
  }

  /**
   * The xattrs `keep` accepts of the file or directory an fd (O_PATH too) refers to, through
   * /proc/self/fd (followed: that magic link is the file itself). Empty where unsupported.
   */
  xattrsOf(fd: number, keep: (name: string) => boolean): Map<string, Buffer> {
    const path = cpath(`/proc/self/fd/${fd}`);
    const list = Buffer.alloc(65536);
    const found = new Map<string, Buffer>();
    const n = this.result(this.c.listxattr(path, list, list.length));
    if (n === -ERRNO.EOPNOTSUPP) return found;
    check('listxattr', n, `fd ${fd}`);
    for (const name of list.toString('latin1', 0, n).split('\0')) {
      if (!name || !keep(name)) continue;
      const value = Buffer.alloc(65536);
      const r = this.result(this.c.getxattr(path, name, value, value.length));
      if (r === -ERRNO.ENODATA) continue; // removed meanwhile
      check('getxattr', r, `fd ${fd}, ${name}`);
      found.set(name, Buffer.from(value.subarray(0, r)));
    }
    return found;
  }

  readlinkat(dirfd: number, path: string): string {
    const buffer = Buffer.alloc(4097);
    const r = this.result(this.c.readlinkat(dirfd, cpath(path), buffer, buffer.length));
    check('readlinkat', r, path);
    return buffer.toString('latin1', 0, r);
  }

  close(fd: number): void {
    this.c.close(fd);
  }
}

/** Throws a SyscallError for a failed result (minus errno), else returns it. */
export function check(call: string, result: number, detail: string): number {
  if (result < 0) throw new SyscallError(call, -result, detail);
  return result;
}
