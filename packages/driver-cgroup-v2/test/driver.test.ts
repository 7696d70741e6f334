import { type DeviceRule } from '@koker/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HostError,
  InvalidValueError,
  NotFoundError,
  newContainerId,
  parseByteSize,
  parseCpus,
  type ContainerId,
} from '@koker/core';
import { defaultCgroupParentName, deviceFilterProgram, type CgroupFs } from '@koker/cgroups';
import { FakeCgroupHost, type FakeCgroupHostOptions } from '@koker/cgroups/testing';
import { recordingLogger } from '@koker/core/testing';
import { CgroupV2Driver } from '../src/index.js';

/** A short policy: the order of writes and program bytes are tested in @koker/cgroups. */
const DEVICES: readonly DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
];

const ROOT = '/tmp/koker-unit-root';
const PARENT = defaultCgroupParentName(ROOT);
const hosts: FakeCgroupHost[] = [];

function setup(options: Partial<FakeCgroupHostOptions> = {}, fs?: (fake: FakeCgroupHost) => CgroupFs) {
  const fake = new FakeCgroupHost({ mode: 'unified', ...options });
  hosts.push(fake);
  const { log, records } = recordingLogger();
  const driver = new CgroupV2Driver({
    host: fake.host(),
    config: { root: ROOT },
    log,
    fs: fs ? fs(fake) : fake.fs,
    kill: fake.kill,
    deviceAttacher: fake.deviceAttacher,
    killTimeoutMs: 500,
  });
  const dir = (id: ContainerId) => fake.path('cgroup2', PARENT, id);
  return { fake, driver, records, dir };
}

afterEach(() => {
  for (const fake of hosts.splice(0)) fake.cleanup();
});

describe('cgroup-v2 driver', () => {
  it('creates the container cgroup under koker’s parent with every limit in cgroup2 files', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    const placement = await driver.create(
      id,
      {
        memory: parseByteSize('10m'),
        memorySwap: parseByteSize('30m'),
        nanoCpus: parseCpus('0.5'),
        cpuShares: 512,
        cpusetCpus: '1-2',
        pidsLimit: 10,
      },
      DEVICES,
    );
    expect(placement).toEqual({
      procsFiles: [`${dir(id)}/cgroup.procs`],
      namespaceRoot: `/${PARENT}/${id}`,
    });
    const at = (file: string) => `/cgroup2/${PARENT}/${id}/${file}`;
    expect(fake.writes).toEqual([
      [`/cgroup2/${PARENT}/cgroup.subtree_control`, '+cpu +cpuset +io +memory +pids'],
      [at('memory.max'), '10485760'],
      [at('memory.swap.max'), String(20 * 1024 * 1024)],
      [at('cpu.weight'), '20'],
      [at('cpu.max'), '50000 100000'],
      [at('cpuset.cpus'), '1-2'],
      [at('pids.max'), '10'],
    ]);
    expect(fake.read(`${dir(id)}/cpu.max`)).toBe('50000 100000');
    // cgroup2 has no devices controller: the policy is a device program on the cgroup
    expect(fake.devicePrograms).toEqual([[`/cgroup2/${PARENT}/${id}`, deviceFilterProgram(DEVICES)]]);
  });

  it('writes nothing but the controllers for a container without limits', async () => {
    const { fake, driver } = setup();
    await driver.create(newContainerId(), {}, DEVICES);
    expect(fake.writes.map(([file]) => file)).toEqual([`/cgroup2/${PARENT}/cgroup.subtree_control`]);
  });

  it("puts the parent next to koker's own cgroup, which has the controllers", async () => {
    const { fake, driver } = setup({ self: { '': '/system.slice/koker.service' } });
    fake.fs.mkdir(fake.path('cgroup2', 'system.slice'));
    fake.fs.write(fake.path('cgroup2', 'system.slice', 'cgroup.subtree_control'), '+memory +pids');
    const id = newContainerId();
    const placement = await driver.create(id, { pidsLimit: 5 }, DEVICES);
    expect(placement.procsFiles).toEqual([fake.path('cgroup2', 'system.slice', PARENT, id, 'cgroup.procs')]);
    expect(placement.namespaceRoot).toBe(`/system.slice/${PARENT}/${id}`);
    // Only what koker's own cgroup's parent hands down can be enabled; the host's cgroups keep their settings.
    expect(fake.read(fake.path('cgroup2', 'system.slice', PARENT, 'cgroup.subtree_control'))).toBe(
      'memory pids',
    );
    expect(fake.read(fake.path('cgroup2', 'cgroup.subtree_control'))).toBe('cpuset cpu io memory pids');
  });

  it('rejects limits the host cannot honour before creating anything', async () => {
    const { fake, driver } = setup({ cpus: '0-3' });
    await expect(driver.create(newContainerId(), { cpusetCpus: '2-5' }, DEVICES)).rejects.toThrow(
      new InvalidValueError('cpuset', '2-5', 'CPUs 4-5 are not available on this host (available: 0-3)'),
    );
    await expect(driver.validate({ memory: parseByteSize('1m') })).rejects.toThrow(
      'invalid memory limit "1 MiB": the minimum is 6 MiB',
    );
    expect(fake.cgroups()).toEqual([]);
  });

  it('names the missing controller and where it looked', async () => {
    const { fake, driver } = setup({ rootSubtreeControl: ['cpu'] });
    const failure = driver.create(newContainerId(), { memory: parseByteSize('64m') }, DEVICES);
    await expect(failure).rejects.toThrow(HostError);
    await expect(failure).rejects.toThrow(
      `the memory limit needs the memory cgroup controller, which is not available here (controllers from ${fake.path('cgroup2')}/cgroup.subtree_control: cpu)`,
    );
    expect(fake.cgroups()).toEqual([]);
  });

  it('says so when the kernel does not account swap, and limits memory alone', async () => {
    const { fake, driver, records } = setup({ swapAccounting: false });
    const id = newContainerId();
    await driver.create(id, { memory: parseByteSize('10m'), memorySwap: parseByteSize('20m') }, DEVICES);
    expect(fake.writes.map(([file]) => file.split('/').pop())).toEqual([
      'cgroup.subtree_control',
      'memory.max',
    ]);
    expect(records.some((r) => r.level === 40 && r.msg.includes('does not account swap'))).toBe(true);
  });

  it('removes what it created when the kernel refuses a value', async () => {
    const { fake, driver } = setup({}, (fake) => ({
      ...fake.fs,
      write: (path, value) => {
        if (path.endsWith('pids.max')) throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
        fake.fs.write(path, value);
      },
    }));
    const id = newContainerId();
    await expect(driver.create(id, { pidsLimit: 5 }, DEVICES)).rejects.toThrow(
      `the kernel refused "5" for ${fake.path('cgroup2', PARENT, id, 'pids.max')}: EINVAL`,
    );
    expect(fake.cgroups()).toEqual([]);
  });

  it('makes the parent again when a concurrent teardown removed it in between', async () => {
    let raced = false;
    const { fake, driver, dir } = setup({}, (fake) => ({
      ...fake.fs,
      mkdir: (path) => {
        if (!raced && /[0-9a-f]{64}$/.test(path)) {
          raced = true;
          fake.fs.rmdir(fake.path('cgroup2', PARENT));
        }
        return fake.fs.mkdir(path);
      },
    }));
    const id = newContainerId();
    await driver.create(id, { memory: parseByteSize('16m') }, DEVICES);
    expect(raced).toBe(true);
    expect(fake.read(`${dir(id)}/memory.max`)).toBe(String(16 * 1024 * 1024));
  });

  it('reads usage and OOM kills from memory.current, memory.stat, memory.events, cpu.stat, pids', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    await driver.create(id, { memory: parseByteSize('10m'), pidsLimit: 10 }, DEVICES);
    expect(await driver.oomKilled(id)).toBe(false);
    fake.setKernelFile(`${dir(id)}/memory.current`, '4000000');
    fake.setKernelFile(`${dir(id)}/memory.stat`, 'anon 1\ninactive_file 1000000\n');
    fake.setKernelFile(`${dir(id)}/memory.events`, 'low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n');
    fake.setKernelFile(`${dir(id)}/cpu.stat`, 'usage_usec 2000\nnr_periods 10\nnr_throttled 4\n');
    fake.setKernelFile(`${dir(id)}/pids.current`, '3');
    expect(await driver.stats(id)).toEqual({
      memoryUsage: 3000000,
      memoryLimit: 10485760,
      cpuUsageNanos: 2000000,
      cpuPeriods: 10,
      cpuThrottledPeriods: 4,
      pids: 3,
      pidsLimit: 10,
      oomKills: 1,
    });
    expect(await driver.oomKilled(id)).toBe(true);
  });

  it('kills what is left with cgroup.kill, then removes the cgroup and the empty parent', async () => {
    const { fake, driver, dir } = setup();
    const [a, b] = [newContainerId(), newContainerId()];
    await driver.create(a, {}, DEVICES);
    await driver.create(b, {}, DEVICES);
    fake.addProcess(dir(a), 4242);
    fake.addProcess(dir(a), 4243);
    expect(await driver.list()).toEqual([a, b].sort());
    await driver.destroy(a);
    expect(fake.writes).toContainEqual([`/cgroup2/${PARENT}/${a}/cgroup.kill`, '1']);
    expect(fake.killed).toEqual([4242, 4243]);
    expect(fake.cgroups()).toEqual([`/cgroup2/${PARENT}`, `/cgroup2/${PARENT}/${b}`]);
    await driver.destroy(b);
    expect(fake.cgroups()).toEqual([]);
    await driver.destroy(b);
    expect(await driver.list()).toEqual([]);
  });

  it('freezes and kills each process where cgroup.kill is missing (before Linux 5.14)', async () => {
    const { fake, driver, dir } = setup({ cgroupKill: false });
    const id = newContainerId();
    await driver.create(id, {}, DEVICES);
    fake.addProcess(dir(id), 777);
    await driver.destroy(id);
    expect(fake.killed).toEqual([777]);
    expect(fake.writes.filter(([file]) => file.endsWith('cgroup.freeze')).map(([, v]) => v)).toEqual([
      '1',
      '0',
    ]);
    expect(fake.cgroups()).toEqual([]);
  });

  it('gives up with the PIDs named when processes do not die', async () => {
    const { fake, driver, dir } = setup({ cgroupKill: false });
    const id = newContainerId();
    await driver.create(id, {}, DEVICES);
    fake.addProcess(dir(id), 999);
    const stubborn = new CgroupV2Driver({
      host: fake.host(),
      config: { root: ROOT },
      log: recordingLogger().log,
      fs: fake.fs,
      kill: () => undefined,
      killTimeoutMs: 100,
    });
    await expect(stubborn.destroy(id)).rejects.toThrow(
      `processes 999 of container ${id.slice(0, 12)} did not die`,
    );
  });

  it('lists only container cgroups, and fails clearly for a container without one', async () => {
    const { fake, driver } = setup();
    const id = newContainerId();
    await driver.create(id, {}, DEVICES);
    fake.fs.mkdir(fake.path('cgroup2', PARENT, 'not-a-container'));
    expect(await driver.list()).toEqual([id]);
    const gone = newContainerId();
    await expect(driver.placement(gone)).rejects.toThrow(NotFoundError);
    await expect(driver.stats(gone)).rejects.toThrow(`container ${gone.slice(0, 12)} has no cgroup`);
    expect(await driver.oomKilled(gone)).toBe(false);
    expect(await driver.placement(id)).toEqual({
      procsFiles: [fake.path('cgroup2', PARENT, id, 'cgroup.procs')],
      namespaceRoot: `/${PARENT}/${id}`,
    });
  });

  it('uses a configured parent', async () => {
    const fake = new FakeCgroupHost({ mode: 'unified' });
    hosts.push(fake);
    const driver = new CgroupV2Driver({
      host: fake.host(),
      config: { root: ROOT, cgroupParent: 'koker-custom' },
      log: recordingLogger().log,
      fs: fake.fs,
      deviceAttacher: fake.deviceAttacher,
    });
    const id = newContainerId();
    expect((await driver.create(id, {}, DEVICES)).procsFiles).toEqual([
      fake.path('cgroup2', 'koker-custom', id, 'cgroup.procs'),
    ]);
  });
});
