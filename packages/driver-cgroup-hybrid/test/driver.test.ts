import { type DeviceRule } from '@koker/core';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultCgroupParentName } from '@koker/cgroups';
import { newContainerId, parseByteSize, parseCpus, type ContainerId } from '@koker/core';
import { FakeCgroupHost } from '@koker/cgroups/testing';
import { recordingLogger } from '@koker/core/testing';
import { CgroupHybridDriver } from '../src/index.js';

/** A short policy: the order of writes and program bytes are tested in @koker/cgroups. */
const DEVICES: readonly DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
];

const ROOT = '/tmp/koker-unit-root';
const PARENT = defaultCgroupParentName(ROOT);
const hosts: FakeCgroupHost[] = [];

function setup(options: { cgroupKill?: boolean; self?: Record<string, string> } = {}) {
  const fake = new FakeCgroupHost({ mode: 'hybrid', ...options });
  hosts.push(fake);
  const driver = new CgroupHybridDriver({
    host: fake.host(),
    config: { root: ROOT },
    log: recordingLogger().log,
    fs: fake.fs,
    kill: fake.kill,
    deviceAttacher: fake.deviceAttacher,
  });
  const dir = (hierarchy: string, id: ContainerId) => fake.path(hierarchy, PARENT, id);
  return { fake, driver, dir };
}

afterEach(() => {
  for (const fake of hosts.splice(0)) fake.cleanup();
});

describe('cgroup-hybrid driver', () => {
  it('limits through the v1 hierarchies and places the process in cgroup2 too', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    const placement = await driver.create(
      id,
      {
        memory: parseByteSize('10m'),
        memorySwap: parseByteSize('10m'),
        nanoCpus: parseCpus('0.5'),
        pidsLimit: 20,
      },
      DEVICES,
    );
    expect(placement).toEqual({
      procsFiles: [
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
        'unified',
      ].map((h) => `${dir(h, id)}/cgroup.procs`),
      namespaceRoot: `/${PARENT}/${id}`,
    });
    const at = (h: string, file: string) => `/${h}/${PARENT}/${id}/${file}`;
    // No controller is enabled on the cgroup2 side: on a hybrid host they belong to v1.
    expect(fake.writes.filter(([f]) => f.startsWith('/unified'))).toEqual([]);
    expect(fake.writes.filter(([f]) => !f.includes('cpuset'))).toEqual([
      [at('memory', 'memory.limit_in_bytes'), '10485760'],
      [at('memory', 'memory.memsw.limit_in_bytes'), '10485760'],
      [at('cpu,cpuacct', 'cpu.cfs_period_us'), '100000'],
      [at('cpu,cpuacct', 'cpu.cfs_quota_us'), '50000'],
      [at('pids', 'pids.max'), '20'],
      // devices through the v1 hierarchy; no program on cgroup2
      [at('devices', 'devices.deny'), 'a'],
      [at('devices', 'devices.allow'), 'c 1:3 rwm'],
    ]);
    expect(fake.devicePrograms).toEqual([]);
  });

  it("follows koker's own cgroup per hierarchy (memory elsewhere than the rest)", async () => {
    const { fake, driver } = setup({
      self: { 'cpu,cpuacct': '/', cpuset: '/', memory: '/process_api/abc', pids: '/', freezer: '/', '': '/' },
    });
    fake.fs.mkdir(fake.path('memory', 'process_api'));
    const id = newContainerId();
    const { procsFiles } = await driver.create(id, {}, DEVICES);
    expect(procsFiles.filter((f) => f.includes('/memory/'))).toEqual([
      fake.path('memory', 'process_api', PARENT, id, 'cgroup.procs'),
    ]);
    expect(procsFiles.filter((f) => f.includes('/unified/'))).toEqual([
      fake.path('unified', PARENT, id, 'cgroup.procs'),
    ]);
  });

  it("tears down with cgroup2's cgroup.kill, which reaches every process", async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    await driver.create(id, {}, DEVICES);
    for (const h of ['cpu,cpuacct', 'memory', 'pids', 'freezer', 'unified'])
      fake.addProcess(dir(h, id), 31337);
    await driver.destroy(id);
    expect(fake.writes).toContainEqual([`/unified/${PARENT}/${id}/cgroup.kill`, '1']);
    expect(fake.writes.filter(([f]) => f.endsWith('freezer.state'))).toEqual([]);
    expect(fake.killed).toEqual([31337]);
    expect(fake.cgroups()).toEqual([]);
  });

  it('also kills a process a failed launch left in the v1 cgroups only', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    await driver.create(id, {}, DEVICES);
    fake.addProcess(dir('memory', id), 4040);
    fake.addProcess(dir('pids', id), 4040);
    await driver.destroy(id);
    expect(fake.killed).toEqual([4040]);
    expect(fake.cgroups()).toEqual([]);
  });

  it('falls back to the v1 freezer on kernels without cgroup.kill', async () => {
    const { fake, driver, dir } = setup({ cgroupKill: false });
    const id = newContainerId();
    await driver.create(id, {}, DEVICES);
    fake.addProcess(dir('freezer', id), 8080);
    fake.addProcess(dir('unified', id), 8080);
    await driver.destroy(id);
    expect(fake.writes.filter(([f]) => f.endsWith('freezer.state')).map(([, v]) => v)).toEqual([
      'FROZEN',
      'THAWED',
    ]);
    expect(fake.killed).toEqual([8080]);
    expect(fake.cgroups()).toEqual([]);
  });

  it('reads stats from the v1 files', async () => {
    const { fake, driver, dir } = setup();
    const id = newContainerId();
    await driver.create(id, { pidsLimit: 7 }, DEVICES);
    fake.setKernelFile(`${dir('pids', id)}/pids.current`, '2');
    fake.setKernelFile(`${dir('cpu,cpuacct', id)}/cpuacct.usage`, '42');
    expect(await driver.stats(id)).toMatchObject({ pids: 2, pidsLimit: 7, cpuUsageNanos: 42, oomKills: 0 });
  });
});
