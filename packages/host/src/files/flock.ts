import { closeSync, constants, openSync } from 'node:fs';
import { loadLibc } from '../kernel/koffi-syscalls.js';
import { loadNativeAddon } from '../kernel/native-addon.js';
import { SyscallError } from '@koker/core';

// flock(2) operations (sys/file.h).
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EINTR = 4;
const EWOULDBLOCK = 11;

/** flock(fd, operation) -> 0 or -errno. */
type Flock = (fd: number, operation: number) => number;
let flockCall: Flock | undefined;

/**
 * The flock call: koker's own Node-API addon (under a millisecond to load), else koffi (about
 * 20 ms: it would be most of a `koker run`'s budget beyond Node's own start).
 */
function flock(): Flock {
  if (flockCall) return flockCall;
  const addon = loadNativeAddon<{ flock: Flock }>('koker-flock.node', 'KOKER_FLOCK_ADDON');
  if (addon) {
    flockCall = addon.flock;
  } else {
    const { lib, errno } = loadLibc();
    const call = lib.func('int flock(int fd, int operation)');
    flockCall = (fd, operation) => {
      for (;;) {
        if (call(fd, operation) === 0) return 0;
        const e = errno();
        if (e !== EINTR) return -e;
      }
    };
  }
  return flockCall;
}

/**
 * One non-blocking flock(2) attempt. Node has no flock; a lock file with a PID in it needs stale
 * detection that PID reuse defeats, while the kernel drops a flock when its holder dies, however
 * it dies. Blocking calls would stall the event loop, so callers poll.
 */
export function tryFlock(fd: number, mode: 'shared' | 'exclusive'): boolean {
  const rc = flock()(fd, (mode === 'shared' ? LOCK_SH : LOCK_EX) | LOCK_NB);
  if (rc === 0) return true;
  if (rc === -EWOULDBLOCK) return false;
  throw new SyscallError('flock', -rc, `${fd}, ${mode}`);
}

export function unflock(fd: number): void {
  flock()(fd, LOCK_UN);
}

/**
 * Whether some process holds an exclusive flock on `path` now. A missing file is an unheld lock.
 * Takes a shared lock for an instant, so it never blocks a holder for longer than that.
 */
export function isFlockHeld(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    return !tryFlock(fd, 'shared');
  } finally {
    closeSync(fd);
  }
}
