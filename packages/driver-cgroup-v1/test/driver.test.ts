import { type DeviceRule } from '@koker/core';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidValueError, newContainerId, parseByteSize, parseCpus, type ContainerId } from '@koker/core';
import { defaultCgroupParentName } from '@koker/cgroups';
import { FakeCgroupHost, type FakeCgroupHostOptions } from '@koker/cgroups/testing';
import { recordingLogger } from '@koker/core/testing';
import { CgroupV1Driver } from '../src/index.js';

/** A short policy: the order of writes and program bytes are tested in @koker/cgroups. */
const DEVICES: readonly DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
];

const ROOT = '/tmp/koker-unit-root';
const PARENT = defaultCgroupParentName(ROOT);
const hosts: FakeCgroupHost[] = [];

function setup(options: Partial<FakeCgroupHostOptions> = {}) {
  const fake = new FakeCgroupHost({ mode: 'legacy', ...options });
  hosts.push(fake);
  const { log, records } = recordingLogger();
  const driver = new CgroupV1Driver({
    host: fake.host(),
    config: { root: ROOT },
    log,
    fs: fake.fs,
    kill: fake.kill,
    deviceAttacher: fake.deviceAttacher,
  });
  const dir = (hierarchy: string, id: ContainerId) => fake.path(hierarchy, PARENT, id);
  return { fake, driver, records, dir };
}

afterEach(() => {
  for (const fake of hosts.splice(0)) fake.cleanup();
});

// Every mounted hierarchy, the named one included: none is left shared with the host.
const HIERARCHIES = [
  'cpu,cpuacct',
  'cpuset',
  'memory',
  'pids',
  'freezer',
  'devices',
  'blkio',
  'net_cls,net_prio',
  'perf_event',
  'systemd',
];

describe('cgroup-v1 driver', () => {
  it('creates a cgroup in each hierarchy koker uses and writes every limit in v1 files', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    const placement = await driver.create(
      id,
      {
        memory: parseByteSize('10m'),
        memorySwap: parseByteSize('30m'),
        nanoCpus: parseCpus('1.5'),
        cpuShares: 512,
        cpusetCpus: '1,3',
        pidsLimit: 10,
      },
      DEVICES,
    );
    expect(placement.procsFiles).toEqual(HIERARCHIES.map((h) => `${dir(h, id)}/cgroup.procs`));
    expect(fake.cgroups()).toEqual(
      HIERARCHIES.flatMap((h) => [`/${h}/${PARENT}`, `/${h}/${PARENT}/${id}`]).sort(),
    );
    const at = (h: string, file: string) => `/${h}/${PARENT}/${id}/${file}`;
    expect(fake.writes).toEqual([
      // a v1 cpuset cgroup starts empty and refuses processes: parent and child inherit CPUs and nodes
      [`/cpuset/${PARENT}/cpuset.cpus`, '0-3'],
      [`/cpuset/${PARENT}/cpuset.mems`, '0'],
      [at('cpuset', 'cpuset.cpus'), '0-3'],
      [at('cpuset', 'cpuset.mems'), '0'],
      [at('memory', 'memory.limit_in_bytes'), '10485760'],
      [at('memory', 'memory.memsw.limit_in_bytes'), String(30 * 1024 * 1024)],
      [at('cpu,cpuacct', 'cpu.shares'), '512'],
      [at('cpu,cpuacct', 'cpu.cfs_period_us'), '100000'],
      [at('cpu,cpuacct', 'cpu.cfs_quota_us'), '150000'],
      [at('cpuset', 'cpuset.cpus'), '1,3'],
      [at('pids', 'pids.max'), '10'],
      // the device policy last: deny everything, then the exceptions
      [at('devices', 'devices.deny'), 'a'],
      [at('devices', 'devices.allow'), 'c 1:3 rwm'],
    ]);
    expect(fake.read(`${dir('cpuset', id)}/cpuset.cpus`)).toBe('1,3');
    expect(fake.read(`${dir('devices', id)}/devices.list`)).toBe('c 1:3 rwm\n');
  });

  it('finds cpu and cpuacct mounted as two hierarchies', async () => {
    const { dir, driver } = setup({
      v1Mounts: [
        ['cpu', ['cpu']],
        ['cpuacct', ['cpuacct']],
        ['memory', ['memory']],
        ['devices', ['devices']],
      ],
    });
    const id = newContainerId();
    const placement = await driver.create(id, { nanoCpus: parseCpus('1') }, DEVICES);
    expect(placement.procsFiles).toEqual(
      ['cpu', 'cpuacct', 'memory', 'devices'].map((h) => `${dir(h, id)}/cgroup.procs`),
    );
  });

  it("puts each hierarchy's parent next to koker's own cgroup in it", async () => {
    const { fake, driver } = setup({
      self: { 'cpu,cpuacct': '/', cpuset: '/', memory: '/process_api/6204e025', pids: '/', freezer: '/' },
    });
    fake.fs.mkdir(fake.path('memory', 'process_api'));
    const id = newContainerId();
    const placement = await driver.create(id, { memory: parseByteSize('64m') }, DEVICES);
    expect(placement.procsFiles).toContain(fake.path('memory', 'process_api', PARENT, id, 'cgroup.procs'));
    expect(placement.procsFiles).toContain(fake.path('pids', PARENT, id, 'cgroup.procs'));
    expect(placement.namespaceRoot).toBe(`/${PARENT}/${id}`);
  });

  it('says so when the kernel has no swap accounting, and limits memory alone', async () => {
    const { fake, driver, records } = setup({ swapAccounting: false });
    await driver.create(newContainerId(), { memory: parseByteSize('10m'), memorySwap: 'unlimited' }, DEVICES);
    expect(fake.writes.filter(([f]) => f.includes('/memory/')).map(([f]) => f.split('/').pop())).toEqual([
      'memory.limit_in_bytes',
    ]);
    expect(records.find((r) => r.level === 40)?.msg).toBe(
      'This kernel does not account swap in cgroups (swapaccount off or no swap controller): memory is limited, swap is not',
    );
  });

  it('rejects before creating anything', async () => {
    const { fake, driver } = setup({ v1Mounts: [['memory', ['memory']]] });
    await expect(driver.create(newContainerId(), { pidsLimit: 5 }, DEVICES)).rejects.toThrow(
      `the pids limit needs the pids cgroup controller, which is not available here (controllers from ${fake.path('memory')} (memory))`,
    );
    await expect(driver.create(newContainerId(), { cpuShares: 1 }, DEVICES)).rejects.toThrow(
      InvalidValueError,
    );
    expect(fake.cgroups()).toEqual([]);
  });

  it('reads usage from memory, cpuacct, cpu.stat, pids and memory.oom_control', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    await driver.create(id, { memory: parseByteSize('10m') }, DEVICES);
    fake.setKernelFile(`${dir('memory', id)}/memory.usage_in_bytes`, '3000000');
    fake.setKernelFile(`${dir('memory', id)}/memory.stat`, 'total_inactive_file 1000000\n');
    fake.setKernelFile(
      `${dir('memory', id)}/memory.oom_control`,
      'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    );
    fake.setKernelFile(`${dir('cpu,cpuacct', id)}/cpuacct.usage`, '123456789');
    fake.setKernelFile(
      `${dir('cpu,cpuacct', id)}/cpu.stat`,
      'nr_periods 5\nnr_throttled 2\nthrottled_time 7\n',
    );
    fake.setKernelFile(`${dir('pids', id)}/pids.current`, '1');
    expect(await driver.stats(id)).toEqual({
      memoryUsage: 2000000,
      memoryLimit: 10485760,
      cpuUsageNanos: 123456789,
      cpuPeriods: 5,
      cpuThrottledPeriods: 2,
      pids: 1,
      oomKills: 2,
    });
    expect(await driver.oomKilled(id)).toBe(true);
  });

  it('freezes, kills every process, thaws, then removes every cgroup and the parents', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    await driver.create(id, { pidsLimit: 100 }, DEVICES);
    for (const h of HIERARCHIES) {
      fake.addProcess(dir(h, id), 501);
      fake.addProcess(dir(h, id), 502);
    }
    expect(await driver.list()).toEqual([id]);
    await driver.destroy(id);
    expect(fake.killed).toEqual([501, 502]);
    expect(fake.writes.filter(([f]) => f.endsWith('freezer.state')).map(([, v]) => v)).toEqual([
      'FROZEN',
      'THAWED',
    ]);
    expect(fake.cgroups()).toEqual([]);
    expect(await driver.list()).toEqual([]);
  });

  it('lists a container cgroup left in one hierarchy only (after a crash), and removes it', async () => {
    const { fake, driver } = setup();
    const id = newContainerId();
    fake.fs.mkdir(fake.path('pids', PARENT));
    fake.fs.mkdir(fake.path('pids', PARENT, id));
    expect(await driver.list()).toEqual([id]);
    await driver.destroy(id);
    expect(fake.cgroups()).toEqual([]);
  });

  it('finds and removes leftovers in hierarchies without limits too (perf_event, name=systemd)', async () => {
    const { fake, driver } = setup();
    const [a, b] = [newContainerId(), newContainerId()].sort() as [ContainerId, ContainerId];
    for (const [h, id] of [
      ['perf_event', a],
      ['systemd', b],
    ] as const) {
      fake.fs.mkdir(fake.path(h, PARENT));
      fake.fs.mkdir(fake.path(h, PARENT, id));
    }
    fake.addProcess(fake.path('systemd', PARENT, b), 611);
    expect(await driver.list()).toEqual([a, b]);
    await driver.destroy(a);
    await driver.destroy(b);
    expect(fake.killed).toEqual([611]);
    expect(fake.cgroups()).toEqual([]);
  });
});
