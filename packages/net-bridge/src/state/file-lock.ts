import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateError, SyscallError } from '@koker/core';
import { libcNet } from '../netlink/libc-net.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const EINTR = 4;

// flock() excludes other processes; this queue keeps one process's own callers in line
// without each of them polling the kernel.
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `work` holding an exclusive flock on `path` (created if missing). The kernel drops the lock
 * when the process dies, so a crash never leaves koker locked out.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => holdLock(path, work, options.timeoutMs ?? 60_000));
  const tail = run.catch(() => undefined);
  queues.set(path, tail);
  try {
    return await run;
  } finally {
    if (queues.get(path) === tail) queues.delete(path);
  }
}

async function holdLock<T>(path: string, work: () => Promise<T>, timeoutMs: number): Promise<T> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  try {
    const c = libcNet();
    const deadline = Date.now() + timeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) break;
      const errno = c.errno();
      if (errno !== EWOULDBLOCK && errno !== EINTR) throw new SyscallError('flock', errno, path);
      if (Date.now() > deadline) {
        throw new StateError(`timed out after ${timeoutMs} ms waiting for the lock ${path}`, {
          hint: 'another koker process holds it; if none is running, report this as a bug',
        });
      }
      await sleep(wait);
    }
    return await work();
  } finally {
    closeSync(fd); // closing the last descriptor releases the flock
  }
}
