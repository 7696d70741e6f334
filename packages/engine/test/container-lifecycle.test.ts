import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, StateError, type ContainerRecord, type HeldLock } from '@koker/core';
import {
  ContainerLifecycle,
  FileStateStore,
  collectGarbage,
  observeContainer,
  pruneContainers,
  settleStaleContainers,
  signalNumber,
} from '../src/index.js';
import { createLogger } from '@koker/log';
import { FakeDrivers } from './fixtures/fake-drivers.js';
import { idWithPrefix, named, sampleRecord } from './fixtures/state-record.js';

const log = createLogger({ level: 'silent', format: 'json' });
let root: string;
let store: FileStateStore;
let drivers: FakeDrivers;
let signals: { pid: number; signal: number }[];
let onSignal: (pid: number, signal: number) => void;
let lifecycle: ContainerLifecycle;
const held: HeldLock[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'koker-lifecycle-'));
  store = new FileStateStore(root, undefined, { mountPoints: () => [] });
  drivers = new FakeDrivers();
  signals = [];
  onSignal = () => undefined;
  lifecycle = new ContainerLifecycle({
    store,
    drivers: async () => drivers,
    log,
    kill: (pid, signal) => {
      signals.push({ pid, signal });
      onSignal(pid, signal);
    },
  });
});
afterEach(async () => {
  for (const lock of held.splice(0)) lock.release();
  await rm(root, { recursive: true, force: true });
});

/** A container that a (simulated) monitor keeps running. */
async function running(
  overrides: Partial<ContainerRecord> = {},
): Promise<{ record: ContainerRecord; keeper: HeldLock }> {
  const record = await store.create(
    sampleRecord({
      status: 'running',
      pid: 4242,
      started: new Date().toISOString(),
      detached: true,
      ...overrides,
    }),
  );
  const keeper = await store.holdKeeper(record.id);
  held.push(keeper);
  return { record, keeper };
}

/** What koker-monitor does when the container's process ends. */
async function monitorRecordsExit(record: ContainerRecord, keeper: HeldLock, exitCode: number, signal = 0) {
  await writeFile(
    join(store.directory(record.id), 'exit.json'),
    JSON.stringify({ exitCode, signal, finishedAt: '2030-01-01T00:00:01.000000000Z', pid: 4242 }),
  );
  keeper.release();
}

describe('observeContainer', () => {
  const base = sampleRecord({ name: named('x') }) as ContainerRecord;
  it('shows the truth of each record state without changing anything', () => {
    expect(observeContainer({ ...base, status: 'created' }, { kept: false, locked: true })).toEqual({
      status: 'created',
      running: false,
      stale: false,
    });
    // Made by `koker create`: waiting for `start`, not a crashed setup.
    expect(
      observeContainer({ ...base, status: 'created', awaitingStart: true }, { kept: false, locked: false }),
    ).toEqual({ status: 'created', running: false, stale: false });
    expect(observeContainer({ ...base, status: 'created' }, { kept: false, locked: false })).toEqual({
      status: 'exited',
      running: false,
      exitCode: 255,
      reason: 'koker stopped while setting it up',
      stale: true,
    });
    expect(observeContainer({ ...base, status: 'running' }, { kept: true, locked: false })).toMatchObject({
      status: 'running',
      running: true,
      stale: false,
    });
    const exit = { exitCode: 3, signal: 0, finishedAt: '2030-01-01T00:00:00Z', pid: 1 };
    expect(observeContainer({ ...base, status: 'running' }, { kept: false, locked: false, exit })).toEqual({
      status: 'exited',
      running: false,
      exitCode: 3,
      finished: exit.finishedAt,
      stale: true,
    });
    expect(
      observeContainer({ ...base, status: 'running', detached: true }, { kept: false, locked: false }),
    ).toMatchObject({ status: 'exited', exitCode: 255, reason: 'its monitor died', stale: true });
    expect(observeContainer({ ...base, status: 'running' }, { kept: false, locked: false })).toMatchObject({
      reason: 'the koker run that kept it died',
    });
    expect(
      observeContainer(
        { ...base, status: 'exited', exitCode: 0, finished: '2030-01-01T00:00:00Z' },
        { kept: false, locked: false },
      ),
    ).toEqual({
      status: 'exited',
      running: false,
      exitCode: 0,
      finished: '2030-01-01T00:00:00Z',
      stale: false,
    });
  });
});

describe('ContainerLifecycle.settle', { timeout: 30_000 }, () => {
  it('records the exit the monitor saw and tears down in reverse order of setup', async () => {
    const { record, keeper } = await running();
    expect(await lifecycle.settle(record.id)).toEqual(record);
    expect(drivers.calls).toEqual([]);
    drivers.oom = true;
    await monitorRecordsExit(record, keeper, 137, 9);
    const settled = await lifecycle.settle(record.id);
    expect(settled).toMatchObject({
      status: 'exited',
      exitCode: 137,
      oomKilled: true,
      finished: '2030-01-01T00:00:01.000000000Z',
    });
    expect(settled).not.toHaveProperty('pid');
    const short = record.id.slice(0, 4);
    expect(drivers.calls).toEqual([`cgroups ${short}`, `rootfs ${short}`, `network ${short}`]);
    // Settled once: a second call changes nothing.
    expect(await lifecycle.settle(record.id)).toEqual(settled);
    expect(drivers.calls).toHaveLength(3);
  });

  it('marks a container whose monitor died as exited, with the reason', async () => {
    const { record, keeper } = await running();
    keeper.release(); // SIGKILL of the monitor: the kernel drops its lock, no exit.json
    expect(await lifecycle.settle(record.id)).toMatchObject({
      status: 'exited',
      exitCode: 255,
      reason: 'its monitor died',
    });
    expect(drivers.calls).toHaveLength(3);
  });

  it('removes an --rm container once it ended', async () => {
    const { record, keeper } = await running({ autoRemove: true });
    await monitorRecordsExit(record, keeper, 0);
    expect(await lifecycle.settle(record.id)).toBeUndefined();
    await expect(store.get(record.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('settles a container whose monitor reported the exit while it still holds the keeper lock', async () => {
    const { record, keeper } = await running({ autoRemove: true });
    const lock = await store.lockContainer(record.id);
    try {
      // Reported but not on disk: nothing to go by, the monitor's lock still counts.
      expect(await lifecycle.settleLocked(record.id, { exitReported: true })).toEqual(record);
      expect(drivers.calls).toEqual([]);
      await writeFile(
        join(store.directory(record.id), 'exit.json'),
        JSON.stringify({ exitCode: 3, signal: 0, finishedAt: '2030-01-01T00:00:01.000000000Z', pid: 4242 }),
      );
      // Without the report, a kept container runs whatever its directory holds.
      expect(await lifecycle.settleLocked(record.id)).toEqual(record);
      expect(await lifecycle.settleLocked(record.id, { exitReported: true })).toBeUndefined();
    } finally {
      lock.release();
      keeper.release();
    }
    await expect(store.get(record.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(drivers.calls).toHaveLength(3);
  });

  it('leaves a container being set up alone, and cleans one whose setup died', async () => {
    const { record, lock } = await store.createLocked(sampleRecord());
    expect(await lifecycle.settle(record.id)).toEqual(record);
    lock.release(); // koker run killed during setup
    expect(await lifecycle.settle(record.id)).toMatchObject({
      status: 'exited',
      reason: 'koker stopped while setting it up',
    });
    expect(drivers.calls).toHaveLength(3);
  });

  it('keeps the record stale when a teardown step fails, so a later command retries', async () => {
    const { record, keeper } = await running();
    keeper.release();
    drivers.failRootfs = true;
    await expect(lifecycle.settle(record.id)).rejects.toThrow(
      /could not release everything of container [0-9a-f]{12}: rootfs: could not remove \/somewhere\/busy/,
    );
    expect((await store.get(record.id)).status).toBe('running');
    drivers.failRootfs = false;
    expect((await lifecycle.settle(record.id))?.status).toBe('exited');
  });
});

describe('ContainerLifecycle.stop, kill and remove', { timeout: 30_000 }, () => {
  it('stops with SIGTERM and waits for the container to end', async () => {
    const { record, keeper } = await running();
    onSignal = (_pid, signal) => void monitorRecordsExit(record, keeper, 128 + signal, signal);
    const stopped = await lifecycle.stop(record.id, 10);
    expect(signals).toEqual([{ pid: 4242, signal: signalNumber('TERM') }]);
    expect(stopped).toMatchObject({ status: 'exited', exitCode: 143 });
  });

  it('sends SIGKILL when the container ignores the stop signal for the timeout', async () => {
    const { record, keeper } = await running({ stopSignal: 'SIGQUIT' });
    onSignal = (_pid, signal) => {
      if (signal === 9) void monitorRecordsExit(record, keeper, 137, 9);
    };
    const stopped = await lifecycle.stop(record.id, 0.2);
    expect(signals.map((s) => s.signal)).toEqual([signalNumber('QUIT'), 9]);
    expect(stopped).toMatchObject({ status: 'exited', exitCode: 137 });
  });

  it('stopping a stopped container changes nothing', async () => {
    const record = await store.create(
      sampleRecord({ status: 'exited', exitCode: 0, finished: new Date().toISOString() }),
    );
    expect(await lifecycle.stop(record.id, 1)).toEqual(record);
    expect(signals).toEqual([]);
  });

  it('kills with the given signal, and only a running container', async () => {
    const { record } = await running();
    await lifecycle.kill(record.id, 'HUP');
    expect(signals).toEqual([{ pid: 4242, signal: 1 }]);
    const stopped = await store.create(sampleRecord({ status: 'exited', exitCode: 0, name: named('done') }));
    await expect(lifecycle.kill(stopped.id, 'KILL')).rejects.toThrow('container done is not running');
    await expect(lifecycle.kill(record.id, 'NOPE')).rejects.toThrow('invalid signal "NOPE"');
  });

  it('refuses to remove a running container without force, and kills it with force', async () => {
    const { record, keeper } = await running({ name: named('busy') });
    await expect(lifecycle.remove(record.id, { force: false })).rejects.toBeInstanceOf(ConflictError);
    await expect(lifecycle.remove(record.id, { force: false })).rejects.toThrow(
      'cannot remove container "/busy": container is running',
    );
    onSignal = (_pid, signal) => void monitorRecordsExit(record, keeper, 128 + signal, signal);
    await lifecycle.remove(record.id, { force: true });
    expect(signals).toEqual([{ pid: 4242, signal: 9 }]);
    await expect(store.get(record.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(drivers.calls).toHaveLength(3);
    await lifecycle.remove(record.id, { force: true }); // gone already: nothing to do
  });

  it('removes a broken record only with force, tearing down by ID', async () => {
    const record = await store.create(sampleRecord());
    await writeFile(join(store.directory(record.id), 'config.json'), '{');
    await expect(lifecycle.remove(record.id, { force: false })).rejects.toBeInstanceOf(StateError);
    await lifecycle.remove(record.id, { force: true });
    expect(await store.list()).toEqual({ records: [], broken: [] });
    expect(drivers.calls).toHaveLength(3);
  });
});

describe('the events of an end', () => {
  it('whichever process settles a container reports its die once, and destroy for --rm; rm -f reports its die', async () => {
    const told: string[] = [];
    const reporting = new ContainerLifecycle({
      store,
      drivers: async () => drivers,
      log,
      kill: (pid, signal) => onSignal(pid, signal),
      onEnd: {
        died: (record, exitCode) => void told.push(`die ${record.name} ${exitCode}`),
        removed: (record) => void told.push(`destroy ${record.name}`),
      },
    });
    const { record: kept, keeper } = await running({ name: named('kept') });
    await monitorRecordsExit(kept, keeper, 3);
    await reporting.settle(kept.id);
    await reporting.settle(kept.id); // settled already: nothing more to tell
    const { record: once, keeper: onceKeeper } = await running({ name: named('once'), autoRemove: true });
    await monitorRecordsExit(once, onceKeeper, 0);
    await reporting.settle(once.id);
    // A setup that crashed never ran: no die.
    await store.create(sampleRecord({ name: named('never'), status: 'created' }));
    await settleStaleContainers(store, reporting, log);
    const { record: forced, keeper: forcedKeeper } = await running({ name: named('forced') });
    onSignal = (_pid, signal) => void monitorRecordsExit(forced, forcedKeeper, 128 + signal, signal);
    await reporting.remove(forced.id, { force: true });
    expect(told).toEqual([
      `die ${named('kept')} 3`,
      `die ${named('once')} 0`,
      `destroy ${named('once')}`,
      `die ${named('forced')} 137`,
    ]);
  });
});

describe('pruning', { timeout: 30_000 }, () => {
  it('container prune removes stopped containers (exited, created) and keeps running ones', async () => {
    const { record: live } = await running();
    const stopped = await store.create(sampleRecord({ status: 'exited', exitCode: 1 }));
    const { record: dead, keeper } = await running();
    keeper.release();
    // `koker create`'s, never started: stopped too, for Docker. One `run` is setting up is not.
    const created = await store.create(sampleRecord({ status: 'created', awaitingStart: true }));
    const settingUp = await store.createLocked(sampleRecord({ status: 'created' }));
    const told: string[] = [];
    const report = await pruneContainers(store, lifecycle, { onRemoved: (record) => told.push(record.id) });
    settingUp.lock.release();
    expect(report.removed.sort()).toEqual([stopped.id, dead.id, created.id].sort());
    expect(told.sort()).toEqual(report.removed);
    expect(report.failed).toEqual([]);
    expect((await store.list()).records.map((r) => r.id).sort()).toEqual(
      [live.id, settingUp.record.id].sort(),
    );
  });

  it('system prune releases orphans, removes broken records and sweeps leftovers', async () => {
    const { record: live } = await running();
    const broken = await store.create(sampleRecord());
    await writeFile(join(store.directory(broken.id), 'config.json'), 'nonsense');
    const orphan = idWithPrefix('0bad');
    drivers.held.resources.add(orphan).add(live.id);
    drivers.held.network.add(orphan);
    drivers.held.storage.add(orphan);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'containers', `.removing-${idWithPrefix('dd')}`));
    const report = await collectGarbage(store, lifecycle, drivers, log);
    expect(report.orphans).toEqual([orphan]);
    expect(report.broken).toEqual([broken.id]);
    expect(report.swept).toHaveLength(1);
    expect(report.failed).toEqual([]);
    expect([...drivers.held.resources]).toEqual([live.id]);
    expect(drivers.held.network.size + drivers.held.storage.size).toBe(0);
    expect((await store.list()).records.map((r) => r.id)).toEqual([live.id]);
  });
});

describe('signalNumber', () => {
  it("accepts Docker's spellings", () => {
    expect(['KILL', 'SIGKILL', 'kill', '9', 9].map((s) => signalNumber(s))).toEqual([9, 9, 9, 9, 9]);
    expect(signalNumber('term')).toBe(15);
    expect(() => signalNumber('0')).toThrow('invalid signal "0"');
    expect(() => signalNumber('SIGFOO')).toThrow('expected a name such as TERM');
  });
});

describe('NotFound paths', () => {
  it('settle of an unknown ID is undefined; kill of one is not found', async () => {
    const id = idWithPrefix('ee');
    expect(await lifecycle.settle(id)).toBeUndefined();
    await expect(lifecycle.kill(id, 'KILL')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('settleStaleContainers (what run does before it claims anything)', () => {
  it('settles the containers whose setup or keeper died, and leaves live ones alone', async () => {
    const dead = await store.createLocked(sampleRecord());
    dead.lock.release(); // koker run killed during setup
    const settingUp = await store.createLocked(sampleRecord());
    held.push(settingUp.lock);
    const { record: live } = await running();
    const { record: orphaned, keeper } = await running();
    keeper.release(); // its monitor died
    const settled = await settleStaleContainers(store, lifecycle, log);
    expect(new Set(settled)).toEqual(new Set([dead.record.id, orphaned.id]));
    expect((await store.get(dead.record.id)).status).toBe('exited');
    expect((await store.get(orphaned.id)).status).toBe('exited');
    expect((await store.get(settingUp.record.id)).status).toBe('created');
    expect((await store.get(live.id)).status).toBe('running');
  });

  it('never fails the run: a container that cannot be settled now is left for prune', async () => {
    const { record, keeper } = await running();
    keeper.release();
    drivers.failRootfs = true;
    expect(await settleStaleContainers(store, lifecycle, log)).toEqual([]);
    expect((await store.get(record.id)).status).toBe('running');
  });
});
