import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newContainerId } from '@koker/core';
import { AttachmentRecords } from '../src/state/attachment-record.js';
import { currentProcess, isAlive } from '../src/state/process-owner.js';

const dir = mkdtempSync(join(tmpdir(), 'koker-net-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
