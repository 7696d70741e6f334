import { describe, expect, it } from 'vitest';
import { buildLaunchPlan, DEFAULT_READONLY_PATHS, type PlanInputs } from '../src/index.js';
import { parseContainerId, type CgroupLayout, type ProcessSpec } from '@koker/core';

const process: ProcessSpec = {
  args: ['sh'],
  env: ['PATH=/bin'],
  cwd: '/',
  uid: 0,
  gid: 0,
  additionalGids: [0],
  terminal: false,
  stdin: false,
  capabilities: ['CHOWN'],
  noNewPrivileges: false,
  rlimits: [],
};
const inputs = (cgroupLayout: CgroupLayout, more: Partial<PlanInputs> = {}): PlanInputs => ({
  id: parseContainerId('a'.repeat(64)),
  rootfs: { path: '/var/lib/koker/overlay/x/merged', readOnly: false },
  hostname: 'aaaaaaaaaaaa',
  process,
  cgroups: { procsFiles: [] },
  network: { mode: 'none' },
  files: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
  privileged: false,
  init: false,
  cgroupNamespace: true,
  cgroupLayout,
  ...more,
});

const hierarchy = (...controllers: string[]) => ({
  mountPoint: `/sys/fs/cgroup/${controllers.join(',').replace('name=', '')}`,
  controllers,
  root: '/',
});
const legacy: CgroupLayout = {
  mode: 'legacy',
  unifiedControllers: [],
  v1: [hierarchy('cpu', 'cpuacct'), hierarchy('memory'), hierarchy('pids'), hierarchy('name=systemd')],
  self: {},
};
const hybrid: CgroupLayout = { ...legacy, mode: 'hybrid', unifiedMount: '/sys/fs/cgroup/unified' };
const unified: CgroupLayout = {
  mode: 'unified',
  unifiedMount: '/sys/fs/cgroup',
  unifiedControllers: ['cpu', 'memory', 'pids'],
  v1: [],
  self: {},
};
const ro = ['nosuid', 'noexec', 'nodev', 'ro'];
const cgroupMountsOf = (plan: ReturnType<typeof buildLaunchPlan>) =>
  plan.mounts.filter((m) => m.target.startsWith('/sys/fs/cgroup'));

describe('the container’s /sys/fs/cgroup', () => {
  it('is one read-only cgroup2 mount on a unified host', () => {
    const plan = buildLaunchPlan(inputs(unified));
    expect(cgroupMountsOf(plan)).toEqual([
      { source: 'cgroup', target: '/sys/fs/cgroup', fstype: 'cgroup2', flags: ro },
    ]);
    expect(plan.readOnlyPaths).toEqual(DEFAULT_READONLY_PATHS);
  });

  it('is a read-only tmpfs with one read-only mount per v1 hierarchy on a legacy host', () => {
    const plan = buildLaunchPlan(inputs(legacy));
    expect(cgroupMountsOf(plan)).toEqual([
      {
        source: 'tmpfs',
        target: '/sys/fs/cgroup',
        fstype: 'tmpfs',
        flags: ['nosuid', 'noexec', 'nodev'],
        data: 'mode=755',
      },
      {
        source: 'cgroup',
        target: '/sys/fs/cgroup/cpu,cpuacct',
        fstype: 'cgroup',
        flags: ro,
        data: 'cpu,cpuacct',
      },
      { source: 'cgroup', target: '/sys/fs/cgroup/memory', fstype: 'cgroup', flags: ro, data: 'memory' },
      { source: 'cgroup', target: '/sys/fs/cgroup/pids', fstype: 'cgroup', flags: ro, data: 'pids' },
      {
        source: 'cgroup',
        target: '/sys/fs/cgroup/systemd',
        fstype: 'cgroup',
        flags: ro,
        data: 'name=systemd',
      },
    ]);
    expect(plan.symlinks).toEqual(
      expect.arrayContaining([
        { path: '/sys/fs/cgroup/cpu', target: 'cpu,cpuacct' },
        { path: '/sys/fs/cgroup/cpuacct', target: 'cpu,cpuacct' },
      ]),
    );
    // The tmpfs becomes read-only once its directories and symlinks are made.
    expect(plan.readOnlyPaths).toEqual([...DEFAULT_READONLY_PATHS, '/sys/fs/cgroup']);
  });

  it('adds cgroup2 at `unified` on a hybrid host', () => {
    const mounts = cgroupMountsOf(buildLaunchPlan(inputs(hybrid)));
    expect(mounts.map((m) => m.target)).toEqual([
      '/sys/fs/cgroup',
      '/sys/fs/cgroup/cpu,cpuacct',
      '/sys/fs/cgroup/memory',
      '/sys/fs/cgroup/pids',
      '/sys/fs/cgroup/systemd',
      '/sys/fs/cgroup/unified',
    ]);
    expect(mounts.at(-1)).toEqual({
      source: 'cgroup',
      target: '/sys/fs/cgroup/unified',
      fstype: 'cgroup2',
      flags: ro,
    });
  });

  it('is writable with --privileged, as Docker mounts it', () => {
    const plan = buildLaunchPlan(inputs(hybrid, { privileged: true }));
    for (const m of cgroupMountsOf(plan)) expect(m.flags).not.toContain('ro');
    expect(plan.readOnlyPaths).toEqual([]);
  });

  it('stays empty without a cgroup namespace: a mount would show the host’s whole tree', () => {
    expect(cgroupMountsOf(buildLaunchPlan(inputs(hybrid, { cgroupNamespace: false })))).toEqual([]);
    expect(cgroupMountsOf(buildLaunchPlan(inputs({ ...legacy, mode: 'none', v1: [] })))).toEqual([]);
  });
});
