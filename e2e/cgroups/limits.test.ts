import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OOM_EXIT_CODE,
  InvalidValueError,
  createLogger,
  describeOom,
  newContainerId,
  parseByteSize,
  parseCpus,
  removeOrphanCgroups,
  type ResourceDriver,
  type ResourceLimits,
} from '@koker/core';
import { EXPECTED_DRIVER, detectedDriver, joined, runIn, startIn } from './harness.js';

// Allocates (and touches) 20 MiB in one buffer: the seed's golang-memtest example, without an image.
const ALLOCATE_20_MIB = 'dd if=/dev/zero of=/dev/null bs=20M count=1';

let driver: ResourceDriver;
let name: string;
let mode: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ driver, name, mode, cleanup } = await detectedDriver());
});

afterAll(async () => {
  // Whatever a failed test left: the real teardown path removes it.
  for (const id of (await driver?.list()) ?? []) await driver.destroy(id);
  cleanup?.();
});

function pidsEvents(procsFiles: readonly string[]): number {
  const dir = procsFiles.map(dirname).find((d) => existsSync(`${d}/pids.events`));
  if (!dir) throw new Error('no pids.events');
  return Number(/max (\d+)/.exec(readFileSync(`${dir}/pids.events`, 'utf8'))?.[1] ?? 'NaN');
}

describe(`cgroup limits on this kernel's layout`, () => {
  it('auto-detection picks the driver of the layout', () => {
    expect(['legacy', 'hybrid', 'unified']).toContain(mode);
    expect(name).toBe(EXPECTED_DRIVER[mode as keyof typeof EXPECTED_DRIVER]);
  });

  it('kills a program allocating 20 MiB in a 10 MiB container: exit 137, and says so', async () => {
    const limits: ResourceLimits = { memory: parseByteSize('10m'), memorySwap: parseByteSize('10m') };
    const id = newContainerId();
    const placement = await driver.create(id, limits);
    try {
      const { code } = await runIn(placement, ALLOCATE_20_MIB);
      expect(code).toBe(OOM_EXIT_CODE);
      expect(await driver.oomKilled(id)).toBe(true);
      expect(describeOom(limits)).toBe('container was killed: out of memory (limit 10 MiB)');
      expect((await driver.stats(id)).memoryLimit).toBe(10 * 1024 * 1024);
    } finally {
      await driver.destroy(id);
    }
  });

  it('lets the same program complete in a 128 MiB container', async () => {
    const id = newContainerId();
    const placement = await driver.create(id, { memory: parseByteSize('128m') });
    try {
      const { code, output } = await runIn(placement, ALLOCATE_20_MIB);
      expect(output).toContain('20971520 bytes');
      expect(code).toBe(0);
      expect(await driver.oomKilled(id)).toBe(false);
    } finally {
      await driver.destroy(id);
    }
  });

  it('stops a fork bomb at the PIDs limit, and tears it down', async () => {
    const id = newContainerId();
    const placement = await driver.create(id, { pidsLimit: 20, nanoCpus: parseCpus('0.5') });
    const bomb = startIn(placement, `sh -c 'bomb() { bomb | bomb & }; bomb; sleep 60'`);
    try {
      const deadline = Date.now() + 20_000;
      while (pidsEvents(placement.procsFiles) === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      // Forks beyond the limit were refused, and the container never held more than 20 tasks.
      expect(pidsEvents(placement.procsFiles)).toBeGreaterThan(0);
      const stats = await driver.stats(id);
      expect(stats.pidsLimit).toBe(20);
      expect(stats.pids).toBeLessThanOrEqual(20);
    } finally {
      await driver.destroy(id);
    }
    expect(await bomb.exited).toBe(137);
    expect(placement.procsFiles.some((f) => existsSync(f))).toBe(false);
  });

  it('throttles a busy loop to its CPU quota (nr_throttled grows)', async () => {
    const id = newContainerId();
    const placement = await driver.create(id, { nanoCpus: parseCpus('0.2') });
    try {
      const before = await driver.stats(id);
      expect(before.cpuThrottledPeriods ?? 0).toBe(0);
      await runIn(placement, `timeout 2 sh -c 'while :; do :; done'`);
      const after = await driver.stats(id);
      expect(after.cpuThrottledPeriods).toBeGreaterThan(0);
      // 2 s at 0.2 CPU is 0.4 s of CPU time; unthrottled it would be 2 s.
      expect(after.cpuUsageNanos).toBeLessThan(1e9);
    } finally {
      await driver.destroy(id);
    }
  });

  it('places exec’d processes in the same cgroups; a cgroup namespace shows them as /', async () => {
    const id = newContainerId();
    const placement = await driver.create(id, {});
    const main = startIn(placement, 'sleep 300');
    await joined(placement, main);
    try {
      expect(await driver.placement(id)).toEqual(placement);
      const { output } = await runIn(await driver.placement(id), 'cat /proc/self/cgroup');
      const joined = output.split('\n').filter((line) => line.includes(id));
      expect(joined.length).toBe(placement.procsFiles.length);
      if (mode !== 'legacy') expect(output).toContain(`0::${placement.namespaceRoot}`);
      const inNamespace = await runIn(placement, 'unshare --cgroup cat /proc/self/cgroup');
      expect(inNamespace.output).not.toContain(id);
      if (mode !== 'legacy') expect(inNamespace.output).toContain('0::/\n');
      expect((await driver.stats(id)).pids ?? 1).toBeGreaterThanOrEqual(1);
    } finally {
      await driver.destroy(id);
    }
    expect(await main.exited).toBe(137);
  });

  it('kills what is left and removes every cgroup without EBUSY', async () => {
    const id = newContainerId();
    const placement = await driver.create(id, { pidsLimit: 50 });
    const payload = startIn(placement, `sh -c 'sleep 300 & sleep 300 & sh -c "sleep 300" & wait'`);
    await joined(placement, payload);
    await new Promise((r) => setTimeout(r, 200));
    expect((await driver.list()).includes(id)).toBe(true);
    await driver.destroy(id);
    expect(await payload.exited).toBe(137);
    for (const file of placement.procsFiles) expect(existsSync(dirname(file))).toBe(false);
    expect(await driver.list()).not.toContain(id);
    await driver.destroy(id);
  });

  it('rejects limits this host cannot honour before creating anything', async () => {
    const id = newContainerId();
    await expect(driver.create(id, { cpusetCpus: '4000' })).rejects.toThrow(InvalidValueError);
    await expect(driver.create(id, { memory: parseByteSize('2m') })).rejects.toThrow('the minimum is 6 MiB');
    await expect(driver.create(id, { nanoCpus: parseCpus('4096') })).rejects.toThrow('invalid CPU count');
    expect(await driver.list()).not.toContain(id);
    await expect(driver.placement(id)).rejects.toThrow('has no cgroup');
  });

  it('garbage-collects cgroups left behind, keeping the live ones', async () => {
    const [live, leftover] = [newContainerId(), newContainerId()];
    await driver.create(live, {});
    const placement = await driver.create(leftover, {});
    const crashed = startIn(placement, 'sleep 300');
    await joined(placement, crashed);
    const removed = await removeOrphanCgroups(
      driver,
      (id) => id === live,
      createLogger({ level: 'silent', format: 'console' }),
    );
    expect(removed).toEqual([leftover]);
    expect(await crashed.exited).toBe(137);
    expect(await driver.list()).toContain(live);
    await driver.destroy(live);
    expect(await driver.list()).toEqual([]);
  });
});
