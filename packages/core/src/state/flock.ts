import { closeSync, constants, openSync } from 'node:fs';
import { loadLibc } from '../kernel/koffi-syscalls.js';
import { SyscallError } from '../kernel/syscall-error.js';

// flock(2) operations (sys/file.h).
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EINTR = 4;
const EWOULDBLOCK = 11;

type FlockFn = (fd: number, operation: number) => number;
let bound: { flock: FlockFn; errno: () => number } | undefined;

function libc(): { flock: FlockFn; errno: () => number } {
  if (!bound) {
    const { lib, errno } = loadLibc();
    bound = { flock: lib.func('int flock(int fd, int operation)'), errno };
  }
  return bound;
}

/**
 * One non-blocking flock(2) attempt. Node has no flock; a lock file with a PID in it needs stale
 * detection that PID reuse defeats, while the kernel drops a flock when its holder dies, however
 * it dies. Blocking calls would stall the event loop, so callers poll.
 */
export function tryFlock(fd: number, mode: 'shared' | 'exclusive'): boolean {
  const c = libc();
  for (;;) {
    if (c.flock(fd, (mode === 'shared' ? LOCK_SH : LOCK_EX) | LOCK_NB) === 0) return true;
    const errno = c.errno();
    if (errno === EWOULDBLOCK) return false;
    if (errno !== EINTR) throw new SyscallError('flock', errno, `${fd}, ${mode}`);
  }
}

export function unflock(fd: number): void {
  libc().flock(fd, LOCK_UN);
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
