import { readSync } from 'node:fs';
import { loadLibc } from '@koker/host';
import { SyscallError } from '@koker/core';
import { cpath } from '../kernel/at-calls.js';

// The new mount API (Linux 5.2); the numbers are the same on every architecture.
const SYS_MOVE_MOUNT = 429;
const SYS_FSOPEN = 430;
const SYS_FSCONFIG = 431;
const SYS_FSMOUNT = 432;

const FSOPEN_CLOEXEC = 1;
const FSCONFIG_SET_FLAG = 0;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
const MOUNT_ATTR_RDONLY = 1;
const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;

type Fn = (...args: unknown[]) => number;

interface Bound {
  fsopen: Fn;
  fsconfig: Fn;
  fsmount: Fn;
  moveMount: Fn;
  close: Fn;
  errno: () => number;
}

let bound: Bound | undefined;

function bind(): Bound {
  if (bound) return bound;
  const { lib, errno } = loadLibc();
  bound = {
    fsopen: lib.func('long syscall(long nr, const uint8_t *fsname, long flags)'),
    fsconfig: lib.func(
      'long syscall(long nr, long fd, long cmd, const uint8_t *key, const uint8_t *value, long aux)',
    ),
    fsmount: lib.func('long syscall(long nr, long fd, long flags, long attrs)'),
    moveMount: lib.func(
      'long syscall(long nr, long fromfd, const uint8_t *frompath, long tofd, const uint8_t *topath, long flags)',
    ),
    close: lib.func('int close(int fd)'),
    errno,
  };
  return bound;
}

/** What the kernel explains about a failed fsconfig (it queues messages on the fs context). */
function contextMessages(fd: number): string {
  const messages: string[] = [];
  const buffer = Buffer.alloc(1024);
  for (let i = 0; i < 16; i++) {
    try {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n <= 0) break;
      messages.push(buffer.toString('utf8', 0, n).replace(/^[ewi] /, ''));
    } catch {
      break;
    }
  }
  return messages.join('; ');
}

/** A filesystem context being configured: fsopen, then fsconfig per parameter. */
export class FsContext {
  private readonly c = bind();
  readonly fd: number;

  constructor(readonly fsType: string) {
    const fd = this.c.fsopen(SYS_FSOPEN, cpath(fsType), FSOPEN_CLOEXEC);
    if (fd < 0) throw new SyscallError('fsopen', this.c.errno(), fsType);
    this.fd = fd;
  }

  /** Sets a string parameter; returns minus errno instead of throwing when `tryOnly`. */
  setString(key: string, value: string, tryOnly = false): number {
    if (this.c.fsconfig(SYS_FSCONFIG, this.fd, FSCONFIG_SET_STRING, cpath(key), cpath(value), 0) === 0)
      return 0;
    const errno = this.c.errno();
    if (tryOnly) return -errno;
    throw this.error('fsconfig', errno, `${key}=${value}`);
  }

  /** Sets a flag parameter (no value), e.g. overlayfs' `volatile`. */
  setFlag(key: string): void {
    if (this.c.fsconfig(SYS_FSCONFIG, this.fd, FSCONFIG_SET_FLAG, cpath(key), null, 0) !== 0)
      throw this.error('fsconfig', this.c.errno(), key);
  }

  create(): void {
    if (this.c.fsconfig(SYS_FSCONFIG, this.fd, FSCONFIG_CMD_CREATE, null, null, 0) !== 0) {
      throw this.error('fsconfig', this.c.errno(), 'FSCONFIG_CMD_CREATE');
    }
  }

  /** Makes a detached mount of the created filesystem and attaches it at `target`. */
  mountAt(target: string, readOnly: boolean): void {
    const mfd = this.c.fsmount(SYS_FSMOUNT, this.fd, FSMOUNT_CLOEXEC, readOnly ? MOUNT_ATTR_RDONLY : 0);
    if (mfd < 0) throw this.error('fsmount', this.c.errno(), readOnly ? 'MOUNT_ATTR_RDONLY' : '0');
    try {
      if (
        this.c.moveMount(SYS_MOVE_MOUNT, mfd, cpath(''), AT_FDCWD, cpath(target), MOVE_MOUNT_F_EMPTY_PATH) !==
        0
      ) {
        throw new SyscallError('move_mount', this.c.errno(), target);
      }
    } finally {
      this.c.close(mfd);
    }
  }

  /**
   * A detached mount of the created filesystem, attached nowhere: its descriptor is a directory
   * to resolve paths from, and the mount goes away when the descriptor is closed (or the
   * process ends), so nothing can be left mounted on the host.
   */
  detachedMount(readOnly: boolean): number {
    const mfd = this.c.fsmount(SYS_FSMOUNT, this.fd, FSMOUNT_CLOEXEC, readOnly ? MOUNT_ATTR_RDONLY : 0);
    if (mfd < 0) throw this.error('fsmount', this.c.errno(), readOnly ? 'MOUNT_ATTR_RDONLY' : '0');
    return mfd;
  }

  close(): void {
    this.c.close(this.fd);
  }

  private error(call: string, errno: number, detail: string): SyscallError {
    const said = contextMessages(this.fd);
    return new SyscallError(call, errno, said ? `${detail}; the kernel says: ${said}` : detail);
  }
}

let lowerdirPlus: boolean | undefined;

/**
 * Whether overlayfs takes lower layers one by one (`lowerdir+`, Linux 6.8): then a mount's
 * layers are not limited by the one page of legacy mount data. Asked once, mounting nothing.
 *
 * Before Linux 6.5 overlayfs had no fs_context of its own: the kernel's legacy context accepts
 * any key and only fails at FSCONFIG_CMD_CREATE. So a key overlayfs cannot know must be refused
 * too, or the context is the legacy one and `lowerdir+` means nothing.
 */
export function supportsLowerdirPlus(): boolean {
  if (lowerdirPlus !== undefined) return lowerdirPlus;
  let context: FsContext | undefined;
  try {
    context = new FsContext('overlay');
    const knowsParameters = context.setString('koker-probe-no-such-option', '1', true) !== 0;
    lowerdirPlus = knowsParameters && context.setString('lowerdir+', '/', true) === 0;
  } catch {
    lowerdirPlus = false;
  } finally {
    context?.close();
  }
  return lowerdirPlus;
}
