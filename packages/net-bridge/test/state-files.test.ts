import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { newContainerId } from '@koker/core';
import { AttachmentRecords } from '../src/state/attachment-record.js';
import { withFileLock } from '../src/state/file-lock.js';
import { currentProcess, isAlive } from '../src/state/process-owner.js';

const dir = mkdtempSync(join(tmpdir(), 'koker-net-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('withFileLock', () => {
  it('runs callers of one process one at a time, in order', async () => {
    const lock = join(dir, 'a.lock');
    const events: string[] = [];
    const work = (name: string, ms: number) =>
      withFileLock(lock, async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${name}`);
      });
    await Promise.all([work('a', 30), work('b', 1), work('c', 1)]);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('waits for another process holding the lock, and gets it once that process dies', async () => {
    const lock = join(dir, 'b.lock');
    const koffi = createRequire(import.meta.url).resolve('koffi');
    // A separate process takes the flock, says so, and is then killed while holding it.
    const holder = spawn(process.execPath, [
      '-e',
      `const k=require(${JSON.stringify(koffi)});const fs=require('fs');const flock=k.load('libc.so.6').func('int flock(int,int)');` +
        `const fd=fs.openSync(${JSON.stringify(lock)},'a');flock(fd,2);console.log('locked');setInterval(()=>{},1000);`,
    ]);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    let acquired = false;
    const waiting = withFileLock(lock, async () => {
      acquired = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acquired).toBe(false);
    holder.kill('SIGKILL');
    await waiting;
    expect(acquired).toBe(true);
  });
});

describe('AttachmentRecords', () => {
  it('writes, reads, lists and removes one record per container', async () => {
    const records = new AttachmentRecords(join(dir, 'containers'));
    const id = newContainerId();
    expect(await records.ids()).toEqual([]);
    await records.write({
      version: 1,
      id,
      mode: 'bridge',
      netns: '/run/koker/netns/x',
      bridge: 'koker0',
      hostVeth: 'vethx',
      ipAddress: '10.69.0.2',
      ports: [],
    });
    expect(await records.read(id)).toMatchObject({ mode: 'bridge', ipAddress: '10.69.0.2' });
    expect(await records.ids()).toEqual([id]);
    await records.remove(id);
    await records.remove(id);
    expect(await records.read(id)).toBeUndefined();
  });
});

describe('process owners', () => {
  it('tell a live process from one that is gone or a reused PID', () => {
    const me = currentProcess();
    expect(isAlive(me)).toBe(true);
    expect(isAlive({ ...me, start: me.start + 1 })).toBe(false);
    expect(isAlive({ ...me, boot: 'another boot' })).toBe(false);
  });
});
