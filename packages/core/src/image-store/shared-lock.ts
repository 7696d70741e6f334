import { closeSync, constants, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HeldLock } from '../contracts/state-store.js';
import { StateError } from '../errors/index.js';
import { type Logger } from '../log/logger.js';
import { tryFlock } from '../state/flock.js';

/**
 * A shared flock on `path` (many holders at once; none while an exclusive holder has it), polled
 * so the event loop keeps running. The kernel drops it if the holder dies.
 */
export async function acquireSharedLock(
  path: string,
  options: { timeoutMs?: number; log?: Logger; what?: string } = {},
): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  try {
    while (!tryFlock(fd, 'shared')) {
      if (Date.now() >= deadline) {
        throw new StateError(`timed out after ${timeoutMs} ms waiting for ${options.what ?? path}`, {
          hint: 'another koker process is removing images; try again when it has finished',
        });
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  options.log?.debug({ lock: path }, 'Acquire shared lock');
  let held = true;
  return {
    release(): void {
      if (!held) return;
      held = false;
      closeSync(fd);
      options.log?.debug({ lock: path }, 'Release shared lock');
    },
  };
}
