import assert from 'node:assert/strict';
import { isAbsolute } from 'node:path';
import { type CgroupPlacement, type ResourceDriver } from '../../contracts/resources.js';
import { newContainerId, type ContainerId } from '../../domain/container-id.js';
import { type DeviceRule } from '../../domain/device-rule.js';
import { type ResourceLimits } from '../../domain/resource-limits.js';
import { type ByteSize } from '../../domain/byte-size.js';
import { NotFoundError } from '../../errors/kinds.js';
import { isKokerError } from '../../errors/koker-error.js';
import { withSubject, type SubjectBase, type TestFunctions } from './test-functions.js';

/** A process put into a container's cgroups, as the launcher puts the container's first one. */
export interface PlacedProcess {
  readonly pid: number;
  /** Whether it still runs (after `destroy` it must not). */
  alive(): boolean | Promise<boolean>;
}

export interface ResourcesSubject extends SubjectBase {
  readonly driver: ResourceDriver;
  /**
   * Starts a process and writes its PID into every file of the placement, as the launcher does
   * between clone and execve (with a fake cgroupfs: records one that `destroy` must kill).
   */
  startProcess(placement: CgroupPlacement): PlacedProcess | Promise<PlacedProcess>;
}

export interface ResourcesSuiteOptions {
  readonly name?: string;
  /** A fresh driver for each test. */
  create(): ResourcesSubject | Promise<ResourcesSubject>;
  /** Limits this host honours; default 64 MiB of memory and 64 PIDs. */
  readonly limits?: ResourceLimits;
  /**
   * Limits the driver must refuse (with an InvalidValueError or HostError) before creating
   * anything; default: Docker's nonsense values every driver refuses (memory+swap below memory,
   * memory+swap without memory, memory under 6 MiB, a negative PIDs limit).
   */
  readonly invalidLimits?: readonly ResourceLimits[];
  /** The device rules every container is created with; default: deny all but /dev/null. */
  readonly devices?: readonly DeviceRule[];
}

const MiB = 1024 * 1024;
const bytes = (n: number) => n as ByteSize;

const DEFAULT_LIMITS: ResourceLimits = { memory: bytes(64 * MiB), pidsLimit: 64 };
const DEFAULT_INVALID: readonly ResourceLimits[] = [
  { memory: bytes(64 * MiB), memorySwap: bytes(32 * MiB) },
  { memorySwap: bytes(64 * MiB) },
  { memory: bytes(1 * MiB) },
  { pidsLimit: -5 },
];

const DEFAULT_DEVICES: readonly DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
];

const isNotFound = (error: unknown) => error instanceof NotFoundError;

/**
 * The ResourceDriver contract as the engine relies on it: `run` validates the limits before it
 * sets up anything, creates the cgroups and hands the placement to the launcher, `exec` joins the
 * same placement, `stats` reads usage, teardown destroys (idempotently: it may run again after a
 * crash), and garbage collection lists what the driver holds.
 */
export function describeResourcesDriver(t: TestFunctions, options: ResourcesSuiteOptions): void {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const invalid = options.invalidLimits ?? DEFAULT_INVALID;
  const devices = options.devices ?? DEFAULT_DEVICES;
  const test = (name: string, body: (s: ResourcesSubject) => Promise<void>) =>
    t.it(name, () => withSubject(options.create, body));

  const gone = async (driver: ResourceDriver, id: ContainerId) => {
    assert.equal((await driver.list()).includes(id), false, 'list() no longer reports the container');
    await assert.rejects(
      driver.placement(id),
      isNotFound,
      'placement() of a destroyed container: NotFoundError',
    );
    await assert.rejects(driver.stats(id), isNotFound, 'stats() of a destroyed container: NotFoundError');
    assert.equal(await driver.oomKilled(id), false);
  };

  t.describe(`ResourceDriver conformance${options.name ? `: ${options.name}` : ''}`, () => {
    test('refuses invalid limits in validate and create, before anything exists', async (s) => {
      await s.driver.validate(limits);
      for (const bad of invalid) {
        const shown = JSON.stringify(bad);
        await assert.rejects(
          s.driver.validate(bad),
          isKokerError,
          `validate(${shown}) must refuse with a KokerError`,
        );
        const id = newContainerId();
        await assert.rejects(s.driver.create(id, bad, devices), isKokerError, `create(${shown}) must refuse`);
        await gone(s.driver, id);
      }
    });

    test('creates cgroups with the limits: a placement for the launcher, the same for exec, stats, list', async (s) => {
      const id = newContainerId();
      try {
        const placement = await s.driver.create(id, limits, devices);
        assert.ok(placement.procsFiles.length > 0, 'at least one cgroup.procs file');
        for (const file of placement.procsFiles) assert.ok(isAbsolute(file), `${file} is an absolute path`);
        assert.deepEqual(
          await s.driver.placement(id),
          placement,
          'exec joins where run placed the container',
        );
        assert.ok((await s.driver.list()).includes(id), 'list() reports the container');
        const stats = await s.driver.stats(id);
        for (const [field, value] of Object.entries(stats))
          assert.ok(typeof value === 'number' && value >= 0, `stats.${field} is a count (${String(value)})`);
        if (typeof limits.memory === 'number')
          assert.equal(stats.memoryLimit, limits.memory, 'stats.memoryLimit');
        if (typeof limits.pidsLimit === 'number')
          assert.equal(stats.pidsLimit, limits.pidsLimit, 'stats.pidsLimit');
        assert.equal(await s.driver.oomKilled(id), false);
      } finally {
        await s.driver.destroy(id);
      }
    });

    test('creates cgroups without limits', async (s) => {
      const id = newContainerId();
      try {
        const placement = await s.driver.create(id, {}, devices);
        assert.ok(placement.procsFiles.length > 0);
        const stats = await s.driver.stats(id);
        assert.equal(stats.memoryLimit, undefined, 'no memory limit is reported as absent');
        assert.equal(stats.pidsLimit, undefined, 'no PIDs limit is reported as absent');
      } finally {
        await s.driver.destroy(id);
      }
    });

    test('destroy kills what runs in the container and removes its cgroups; a second destroy is no error', async (s) => {
      const id = newContainerId();
      const placement = await s.driver.create(id, limits, devices);
      const process = await s.startProcess(placement);
      assert.equal(await process.alive(), true, 'the placed process runs');
      await s.driver.destroy(id);
      assert.equal(await process.alive(), false, `process ${process.pid} is killed by destroy`);
      await gone(s.driver, id);
      await s.driver.destroy(id);
    });

    test('destroy and lookups of a container that has no cgroups', async (s) => {
      const id = newContainerId();
      await s.driver.destroy(id);
      await gone(s.driver, id);
    });

    test('pause freezes the container and resume thaws it; update changes a live limit', async (s) => {
      const id = newContainerId();
      try {
        await s.driver.create(id, limits, devices);
        assert.equal(await s.driver.paused(id), false, 'a new container is not paused');
        await s.driver.pause(id);
        assert.equal(await s.driver.paused(id), true, 'paused() after pause()');
        await s.driver.resume(id);
        assert.equal(await s.driver.paused(id), false, 'paused() after resume()');
        if (typeof limits.pidsLimit === 'number') {
          await s.driver.update(id, { pidsLimit: limits.pidsLimit + 1 });
          assert.equal(
            (await s.driver.stats(id)).pidsLimit,
            limits.pidsLimit + 1,
            'stats.pidsLimit after update',
          );
        }
        if (typeof limits.memory === 'number') {
          await s.driver.update(id, { memory: (limits.memory * 2) as ByteSize });
          assert.equal(
            (await s.driver.stats(id)).memoryLimit,
            limits.memory * 2,
            'stats.memoryLimit after update',
          );
        }
        for (const bad of invalid)
          await assert.rejects(s.driver.update(id, bad), isKokerError, 'update refuses invalid limits');
      } finally {
        await s.driver.destroy(id);
      }
      await assert.rejects(s.driver.pause(id), isNotFound, 'pause() of a destroyed container: NotFoundError');
      await assert.rejects(
        s.driver.update(id, {}),
        isNotFound,
        'update() of a destroyed container: NotFoundError',
      );
      assert.equal(await s.driver.paused(id), false);
    });

    test('containers are independent: destroying one leaves the other', async (s) => {
      const [a, b] = [newContainerId(), newContainerId()];
      try {
        await s.driver.create(a, limits, devices);
        const placement = await s.driver.create(b, limits, devices);
        await s.driver.destroy(a);
        assert.deepEqual(await s.driver.placement(b), placement);
        const listed = await s.driver.list();
        assert.ok(
          listed.includes(b) && !listed.includes(a),
          `list() after destroying one: ${listed.join(', ')}`,
        );
      } finally {
        await s.driver.destroy(a);
        await s.driver.destroy(b);
      }
    });
  });
}
