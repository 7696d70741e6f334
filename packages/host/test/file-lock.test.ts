import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StateError } from '@koker/core';
import { acquireFileLock, withFileLock } from '../src/files/file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'koker-host-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withFileLock', () => {
  it('runs exclusive callers of one process one at a time, in the order they asked', async () => {
    const lock = join(dir, 'order.lock');
    const events: string[] = [];
    const work = (name: string, ms: number) =>
      withFileLock(lock, {}, async () => {
        events.push(`start ${name}`);
        await pause(ms);
        events.push(`end ${name}`);
      });
    await Promise.all([work('a', 30), work('b', 1), work('c', 1), work('d', 1)]);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'start d', 'end d']);
  });

  it('lets shared holders of one process in together, and an exclusive one after them', async () => {
    const lock = join(dir, 'shared.lock');
    const events: string[] = [];
    const work = (name: string, mode: 'shared' | 'exclusive', ms: number) =>
      withFileLock(lock, { mode }, async () => {
        events.push(`start ${name}`);
        await pause(ms);
        events.push(`end ${name}`);
      });
    await Promise.all([work('r1', 'shared', 30), work('r2', 'shared', 30), work('w', 'exclusive', 1)]);
    expect(events.slice(0, 2)).toEqual(['start r1', 'start r2']);
    expect(events.slice(-2)).toEqual(['start w', 'end w']);
  });

  it('gives up with a StateError after the timeout, in the queue as at the kernel, and the next taker still gets it', async () => {
    const lock = join(dir, 'timeout.lock');
    const held = await acquireFileLock(lock);
    const late = acquireFileLock(lock, { timeoutMs: 20, what: 'the test lock' });
    await expect(late).rejects.toBeInstanceOf(StateError);
    await expect(late).rejects.toThrow('timed out after 20 ms waiting for the lock on the test lock');
    const next = acquireFileLock(lock, { timeoutMs: 5_000 });
    held.release();
    (await next).release();
  });

  it('waits for another process holding the lock, and gets it once that process dies', async () => {
    const lock = join(dir, 'other.lock');
    const koffi = createRequire(import.meta.url).resolve('koffi');
    // A separate process takes the flock, says so, and is then killed while holding it.
    const holder = spawn(process.execPath, [
      '-e',
      `const k=require(${JSON.stringify(koffi)});const fs=require('fs');const flock=k.load('libc.so.6').func('int flock(int,int)');` +
        `const fd=fs.openSync(${JSON.stringify(lock)},'a');flock(fd,2);console.log('locked');setInterval(()=>{},1000);`,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    let acquired = false;
    const waiting = withFileLock(lock, {}, async () => {
      acquired = true;
    });
    await pause(100);
    expect(acquired).toBe(false);
    holder.kill('SIGKILL');
    await waiting;
    expect(acquired).toBe(true);
  });
});

describe('removeOnRelease', () => {
  it('unlinks the lock file on release, and a waiter starts over on the new file', async () => {
    const { existsSync } = await import('node:fs');
    const lock = join(dir, 'layer-x.lock');
    const first = await acquireFileLock(lock, { removeOnRelease: true });
    const order: string[] = [];
    const second = acquireFileLock(lock, { removeOnRelease: true }).then((held) => {
      order.push('second');
      return held;
    });
    await pause(20);
    order.push('first released');
    first.release();
    const held = await second;
    expect(order).toEqual(['first released', 'second']);
    expect(existsSync(lock)).toBe(true);
    held.release();
    expect(existsSync(lock)).toBe(false);
  });

  it('removeUnheldLocks removes the unheld files and leaves a held one', async () => {
    const { existsSync, writeFileSync } = await import('node:fs');
    const { removeUnheldLocks } = await import('../src/files/file-lock.js');
    const stale = join(dir, 'layer-stale.lock');
    writeFileSync(stale, '');
    const heldPath = join(dir, 'layer-held.lock');
    const held = await acquireFileLock(heldPath);
    expect(removeUnheldLocks([stale, heldPath, join(dir, 'layer-gone.lock')])).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(heldPath)).toBe(true);
    held.release();
  });
});
