import { type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type ContainerId } from '@koker/core';
import { StartWaiters } from '../src/api/start-waiters.js';

const ID = 'a'.repeat(64) as ContainerId;

describe('what waits for a created container', () => {
  it("gives the start's socket to the first attach only, wakes the waits, returns the connects", async () => {
    const waiters = new StartWaiters();
    const first = waiters.attachAtStart(ID);
    const second = waiters.attachAtStart(ID);
    const waited = waiters.onStart(ID);
    waiters.connectAtStart(ID, { network: 'back', aliases: ['db'] });
    waiters.sizeAtStart(ID, { rows: 30, columns: 100 });
    expect(waiters.attachWaiting(ID)).toBe(true);
    expect(waiters.consoleSize(ID)).toEqual({ rows: 30, columns: 100 });
    const socket = Promise.resolve({} as Socket);
    expect(waiters.started(ID, socket)).toEqual([{ network: 'back', aliases: ['db'] }]);
    expect(await first).toEqual({ socket });
    expect(await second).toEqual({});
    expect(await waited).toBe('started');
    expect(waiters.attachWaiting(ID)).toBe(false);
    expect(waiters.consoleSize(ID)).toBeUndefined();
    expect(waiters.started(ID, undefined)).toEqual([]);
  });

  it('ends the attaches and the waits when the container goes before its start', async () => {
    const waiters = new StartWaiters();
    const attach = waiters.attachAtStart(ID);
    const waited = waiters.onStart(ID);
    waiters.connectAtStart(ID, { network: 'back', aliases: [] });
    waiters.removed(ID);
    expect(await attach).toBeUndefined();
    expect(await waited).toBe('removed');
    expect(waiters.started(ID, undefined)).toEqual([]);
  });
});
