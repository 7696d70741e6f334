import { closeSync, constants, fstatSync, openSync, statSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
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
  /**
   * Unlink the lock file when released (exclusive locks only), so that locks named after
   * content (one per layer) do not pile up. A taker checks, once it holds the flock, that the
   * path still names the file it locked: if the holder before it unlinked it, it starts over on
   * the new file.
   */
  readonly removeOnRelease?: boolean;
}

/** Whether `path` still names the file open as `fd` (not unlinked, not replaced). */
function stillNamed(fd: number, path: string): boolean {
  const open = fstatSync(fd);
  const named = statSync(path, { throwIfNoEntry: false });
  return named !== undefined && named.ino === open.ino && named.dev === open.dev;
}

/** Unlinks a lock file; gone already is fine. */
function unlinkLock(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Removes the unheld lock files among `paths` (left by a crash, or by a koker without
 * removeOnRelease), under the same protocol as removeOnRelease: each is taken without waiting,
 * checked and unlinked while held; a held one is left to its holder.
 */
export function removeUnheldLocks(paths: readonly string[]): number {
  let removed = 0;
  for (const path of paths) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch {
      continue;
    }
    try {
      if (tryFlock(fd, 'exclusive') && stillNamed(fd, path)) {
        unlinkLock(path);
        removed++;
      }
    } finally {
      closeSync(fd);
    }
  }
  return removed;
}

/**
 * The last exclusive taker of each lock file in this process. flock() already excludes this
 * process's own callers (each opens its own descriptor), but they would poll the kernel with
 * growing delays and take the lock in no particular order; queued here, each gets it as soon as
 * the one before releases it, in the order they asked.
 */
const exclusiveQueues = new Map<string, Promise<void>>();

/** A place in the queue for `path`: `turn` settles when every earlier taker has released. */
function joinQueue(path: string): { turn: Promise<void> | undefined; leave: () => void } {
  const previous = exclusiveQueues.get(path);
  let leave!: () => void;
  const mine = new Promise<void>((done) => {
    leave = done;
  });
  const tail = previous ? Promise.all([previous, mine]).then(() => undefined) : mine;
  exclusiveQueues.set(path, tail);
  return {
    turn: previous,
    leave: () => {
      leave();
      if (exclusiveQueues.get(path) === tail) exclusiveQueues.delete(path);
    },
  };
}

/** Whether `turn` settled before `deadline` (the timer is cleared, so it never holds a process up). */
async function waitTurn(turn: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([turn.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function timeoutError(path: string, timeoutMs: number, options: LockOptions): StateError {
  return new StateError(`timed out after ${timeoutMs} ms waiting for the lock on ${options.what ?? path}`, {
    hint: `another koker process holds ${path}; if none runs, the lock is free again (the kernel drops it with its holder)`,
  });
}

/**
 * Takes a flock on `path` (created 0600 if absent), polling with a growing delay so the event
 * loop keeps running. Node opens files with O_CLOEXEC, so children never inherit it; the kernel
 * drops it if the holder dies. Exclusive takers in one process queue in order before polling.
 */
export async function acquireFileLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const mode = options.mode ?? 'exclusive';
  const kind = mode === 'shared' ? 'shared lock' : 'lock';
  const deadline = Date.now() + timeoutMs;
  // Joined before any await, so callers queue in the order they called.
  const queue = mode === 'exclusive' ? joinQueue(resolve(path)) : undefined;
  const removing = options.removeOnRelease === true && mode === 'exclusive';
  let waited = false;
  let fd: number | undefined;
  try {
    if (queue?.turn) {
      options.log?.debug({ lock: path }, 'Wait for lock');
      waited = true;
      if (!(await waitTurn(queue.turn, deadline))) throw timeoutError(path, timeoutMs, options);
    }
    for (;;) {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      let delay = 1;
      while (!tryFlock(fd, mode)) {
        if (!waited) options.log?.debug({ lock: path }, 'Wait for lock');
        waited = true;
        if (Date.now() >= deadline) throw timeoutError(path, timeoutMs, options);
        // Jitter keeps many waiters from retrying in lock-step.
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, 25);
      }
      if (!removing || stillNamed(fd, path)) break;
      // The holder before us unlinked this file on release: lock the one the path names now.
      closeSync(fd);
      fd = undefined;
    }
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    queue?.leave();
    throw error;
  }
  options.log?.debug({ lock: path }, `Acquire ${kind}`);
  const held = fd;
  let holding = true;
  return {
    release(): void {
      if (!holding) return;
      holding = false;
      // Unlinked while still held: a waiter on this file then sees it gone and starts over.
      if (removing) unlinkLock(path);
      // Closing the last descriptor drops the flock.
      closeSync(held);
      queue?.leave();
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
