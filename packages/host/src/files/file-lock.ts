import { closeSync, constants, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HeldLock, StateError, type Logger } from '@koker/core';
import { tryFlock } from './flock.js';

export interface LockOptions {
  /** 'shared': many holders at once, none while an exclusive holder has it. Default 'exclusive'. */
  readonly mode?: 'exclusive' | 'shared';
  /** Give up after this long (StateError); default 30 s. */
  readonly timeoutMs?: number;
  readonly log?: Logger;
  /** What the lock protects, for messages. */
  readonly what?: string;
}

/**
 * Takes a flock on `path` (created 0600 if absent), polling with a growing delay so the event
 * loop keeps running. Node opens files with O_CLOEXEC, so children never inherit it; the kernel
 * drops it if the holder dies.
 */
export async function acquireFileLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const mode = options.mode ?? 'exclusive';
  const kind = mode === 'shared' ? 'shared lock' : 'lock';
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  let waited = false;
  try {
    while (!tryFlock(fd, mode)) {
      if (!waited) options.log?.debug({ lock: path }, 'Wait for lock');
      waited = true;
      if (Date.now() >= deadline) {
        throw new StateError(
          `timed out after ${timeoutMs} ms waiting for the lock on ${options.what ?? path}`,
          {
            hint: `another koker process holds ${path}; if none runs, the lock is free again (the kernel drops it with its holder)`,
          },
        );
      }
      // Jitter keeps many waiters from retrying in lock-step.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  options.log?.debug({ lock: path }, `Acquire ${kind}`);
  let held = true;
  return {
    release(): void {
      if (!held) return;
      held = false;
      // Closing the last descriptor drops the flock.
      closeSync(fd);
      options.log?.debug({ lock: path }, `Release ${kind}`);
    },
  };
}

export async function withFileLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireFileLock(path, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
