import { describe, expect, it } from 'vitest';
import { type CgroupLayout } from '@koker/core';
import {
  type BundleHost,
  bundleDeviceRules,
  bundleLaunchPlan,
  encodeLaunchPlan,
  launchHooks,
  parseCgroupsPath,
  parseProcessSpec,
  parseRuntimeConfig,
  type RuntimeConfig,
  splitHookState,
} from '../src/index.js';

// config.json edited freely, as engines write it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A minimal valid config.json, as `runc spec` writes it without the terminal. */
function base(): Json {
  return {
    ociVersion: '1.0.2',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'newinstance', 'gid=5'],
      },
    ],
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'uts' }] },
  };
}

const parse = (edit: (c: Json) => void = () => undefined): RuntimeConfig => {
  const config = base();
  edit(config);
  return parseRuntimeConfig(JSON.stringify(config), '/bundles/b');
};
const host = { isFile: (p: string) => p.endsWith('.conf') || p.endsWith('hosts') };
const planOf = (edit: (c: Json) => void = () => undefined, more: Partial<BundleHost> = {}) =>
  bundleLaunchPlan(parse(edit), 'ctr-1', { ...host, ...more });
const refused = (edit: (c: Json) => void, field: string) => {
  let error: unknown;
  try {
    planOf(edit);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toContain(field);
};

describe('config.json: versions and root', () => {
  it('reads any runtime-spec 1.x and refuses others', () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.2.1-dev'])
      expect(parse((c) => (c.ociVersion = v)).ociVersion).toBe(v);
    expect(() => parse((c) => (c.ociVersion = '2.0.0'))).toThrow(/ociVersion/);
    expect(() => parse((c) => delete c.ociVersion)).toThrow(/ociVersion/);
  });

  it('resolves root.path against the bundle and keeps root.readonly', () => {
    expect(parse().root).toEqual({ path: '/bundles/b/rootfs', readonly: false });
    expect(parse((c) => (c.root = { path: '/abs/root', readonly: true })).root).toEqual({
      path: '/abs/root',
      readonly: true,
    });
    expect(planOf((c) => (c.root.readonly = true)).readOnlyRootfs).toBe(true);
  });

  it('refuses a field it does not know, naming its path', () => {
    refused((c) => (c.process.bogus = 1), 'process.bogus');
    refused((c) => (c.linux.bogus = { x: 1 }), 'linux.bogus');
    refused((c) => (c.windows = { layerFolders: ['x'] }), 'windows');
  });

  it('keeps the annotations', () => {
    expect(parse((c) => (c.annotations = { a: 'b' })).annotations).toEqual({ a: 'b' });
  });
});

describe('config.json: namespaces', () => {
  it('creates those without a path and joins those with one', () => {
    const plan = planOf((c) =>
      c.linux.namespaces.push(
        { type: 'network', path: '/run/netns/n1' },
        { type: 'ipc' },
        { type: 'cgroup' },
      ),
    );
    expect(plan.newNamespaces).toEqual(['mount', 'pid', 'uts', 'ipc', 'cgroup']);
    expect(plan.joinNamespaces).toEqual([{ kind: 'net', path: '/run/netns/n1' }]);
    expect(plan.loopback).toBe(false);
  });

  it('brings lo up in a new network namespace', () => {
    expect(planOf((c) => c.linux.namespaces.push({ type: 'network' })).loopback).toBe(true);
  });

  it('refuses a container without a mount namespace, or a kind given twice', () => {
    refused((c) => (c.linux.namespaces = [{ type: 'pid' }]), 'mount namespace');
    refused((c) => c.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' }), 'linux.namespaces[3]');
  });

  const mapping = (containerID: number, hostID: number, size: number) => ({ containerID, hostID, size });
  const userns = (c: Json) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [mapping(0, 100000, 65536)];
    c.linux.gidMappings = [mapping(0, 100000, 65536), mapping(65536, 300000, 1)];
  };

  it('makes a user namespace with its maps, written before the process goes on', () => {
    const plan = planOf(userns);
    expect(plan.newNamespaces).toContain('user');
    expect(plan.userNamespace).toEqual({
      uidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
      gidMappings: [
        { containerId: 0, hostId: 100000, size: 65536 },
        { containerId: 65536, hostId: 300000, size: 1 },
      ],
    });
    const ops = encodeLaunchPlan({ ...plan, cgroups: { procsFiles: [] } } as never);
    const idmap = ops.indexOf('idmap');
    expect(ops.slice(idmap, idmap + 3)).toEqual([
      'idmap',
      '0 100000 65536\n',
      '0 100000 65536\n65536 300000 1\n',
    ]);
    expect(ops[ops.indexOf('clone') + 1]).toBe('mount,pid,uts,user');
    // Its root cannot mknod: the host's nodes are bound.
    expect(ops).not.toContain('mknod');
    const at = ops.indexOf('/dev/null');
    expect(ops.slice(at - 1, at + 8)).toEqual([
      'mkfile',
      '/dev/null',
      '0',
      'mount',
      '/dev/null',
      '/dev/null',
      '',
      'bind',
      '',
    ]);
  });

  it('checks the maps: ranges, overlaps, 340 lines, and each needs the other', () => {
    const withUid =
      (...m: object[]) =>
      (c: Json) => {
        userns(c);
        c.linux.uidMappings = m;
      };
    refused(withUid(mapping(0, 100000, 0)), 'linux.uidMappings[0].size');
    refused(withUid({ containerID: 0, size: 1 }), 'linux.uidMappings[0].hostID');
    refused(withUid(mapping(0, -1, 1)), 'linux.uidMappings[0].hostID');
    refused(withUid(mapping(0, 2 ** 32 - 2, 5)), 'linux.uidMappings[0].size');
    refused(withUid(mapping(0, 100000, 10), mapping(5, 200000, 10)), 'linux.uidMappings[1]');
    refused(withUid(mapping(0, 100000, 10), mapping(20, 100005, 10)), 'overlaps linux.uidMappings[0]');
    refused(withUid(...Array.from({ length: 341 }, (_, i) => mapping(i, 100000 + i, 1))), 'at most 340');
    expect(
      planOf(withUid(...Array.from({ length: 340 }, (_, i) => mapping(i, 100000 + i, 1)))).userNamespace
        ?.uidMappings,
    ).toHaveLength(340);
    refused(withUid(), 'linux.uidMappings');
    refused((c) => {
      userns(c);
      delete c.linux.gidMappings;
    }, 'linux.gidMappings');
    refused((c) => (c.linux.uidMappings = [mapping(0, 1000, 1)]), 'linux.uidMappings');
  });

  it('joins a user namespace first, and refuses runtime hooks with it', () => {
    const join = (c: Json) =>
      c.linux.namespaces.unshift(
        { type: 'network', path: '/run/netns/n1' },
        { type: 'user', path: '/proc/9/ns/user' },
      );
    const plan = planOf(join);
    const ops = encodeLaunchPlan({ ...plan, cgroups: { procsFiles: [] } } as never);
    expect(ops.slice(ops.indexOf('join'), ops.indexOf('join') + 6)).toEqual([
      'join',
      'user',
      '/proc/9/ns/user',
      'join',
      'net',
      '/run/netns/n1',
    ]);
    expect(ops).not.toContain('idmap');
    expect(ops).not.toContain('mknod');
    refused((c) => {
      join(c);
      c.hooks = { prestart: [{ path: '/bin/true' }] };
    }, 'hooks.prestart');
  });

  it('makes a time namespace in the monitor with its clock offsets, if the kernel has them', () => {
    const time = (c: Json) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 86400, nanosecs: 5 } };
    };
    const plan = planOf(time);
    expect(plan.timeOffsets).toEqual({ boottime: { secs: 86400, nanosecs: 5 } });
    const ops = encodeLaunchPlan({ ...plan, cgroups: { procsFiles: [] } } as never);
    const at = ops.indexOf('timens');
    expect(at).toBeGreaterThan(-1);
    expect(at).toBeLessThan(ops.indexOf('clone'));
    expect(ops[at + 1]).toBe('monotonic 0 0\nboottime 86400 5\n');
    expect(ops[ops.indexOf('clone') + 1]).toBe('mount,pid,uts');
    refused((c) => {
      time(c);
      c.linux.timeOffsets.monotonic = { secs: 1, nanosecs: 1e9 };
    }, 'linux.timeOffsets.monotonic.nanosecs');
    refused((c) => (c.linux.timeOffsets = { boottime: { secs: 1 } }), 'linux.timeOffsets');
    expect(() => planOf(time, { timeNamespaces: false })).toThrow(/linux.namespaces.*no time namespaces/);
  });

  it('sets hostname and domainname only in a UTS namespace of its own', () => {
    const plan = planOf((c) => Object.assign(c, { hostname: 'h1', domainname: 'example.org' }));
    expect(plan).toMatchObject({ hostname: 'h1', domainname: 'example.org' });
    refused((c) => {
      c.hostname = 'h1';
      c.linux.namespaces = [{ type: 'mount' }];
    }, 'uts');
  });
});

describe('config.json: mounts', () => {
  it('splits options into flags, propagation and data, in order', () => {
    const plan = planOf();
    expect(plan.mounts).toEqual([]);
    expect(plan.userMounts).toEqual([
      { source: 'proc', target: '/proc', fstype: 'proc', flags: [] },
      {
        source: 'tmpfs',
        target: '/dev',
        fstype: 'tmpfs',
        flags: ['nosuid', 'strictatime'],
        data: 'mode=755',
      },
      {
        source: 'devpts',
        target: '/dev/pts',
        fstype: 'devpts',
        flags: ['nosuid'],
        data: 'newinstance,gid=5',
      },
    ]);
  });

  it('makes binds (file targets for file sources), rbind recursive, rw/suid/dev/exec undo their opposite', () => {
    const plan = planOf((c) =>
      c.mounts.push(
        {
          destination: '/etc/resolv.conf',
          type: 'bind',
          source: '/x/resolv.conf',
          options: ['rbind', 'ro', 'rprivate'],
        },
        {
          destination: '/data',
          type: 'none',
          source: '/srv/data',
          options: ['bind', 'ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'rslave'],
        },
        {
          destination: '/t',
          type: 'tmpfs',
          source: 'tmpfs',
          options: [
            'sync',
            'dirsync',
            'noatime',
            'nodiratime',
            'relatime',
            'mand',
            'async',
            'nomand',
            'size=1m',
          ],
        },
      ),
    );
    expect(plan.userMounts?.slice(3)).toEqual([
      {
        source: '/x/resolv.conf',
        target: '/etc/resolv.conf',
        fstype: '',
        flags: ['bind', 'rec', 'ro'],
        targetType: 'file',
        propagation: 'rprivate',
      },
      { source: '/srv/data', target: '/data', fstype: '', flags: ['bind'], propagation: 'rslave' },
      {
        source: 'tmpfs',
        target: '/t',
        fstype: 'tmpfs',
        flags: ['dirsync', 'noatime', 'nodiratime', 'relatime'],
        data: 'size=1m',
      },
    ]);
  });

  it('refuses what changes more than flags', () => {
    refused(
      (c) => c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }),
      'mounts[3].options',
    );
    refused(
      (c) => c.mounts.push({ destination: '/t', type: 'bind', source: '/x', options: ['idmap'] }),
      'idmap',
    );
    refused(
      (c) =>
        c.mounts.push({
          destination: '/t',
          type: 'bind',
          source: '/x',
          uidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
        }),
      'mounts[3].uidMappings',
    );
    refused((c) => c.mounts.push({ destination: 'relative', type: 'tmpfs' }), 'mounts[3].destination');
  });

  it('shows the host cgroup hierarchies for a cgroup mount (read-only unless asked)', () => {
    const layout: CgroupLayout = {
      mode: 'unified',
      v1: [],
      unifiedMount: '/sys/fs/cgroup',
      self: {},
    } as unknown as CgroupLayout;
    const edit = (options: string[]) => (c: Json) => {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options });
    };
    expect(planOf(edit(['ro', 'nosuid']), { cgroupLayout: layout }).userMounts?.[3]).toEqual({
      source: 'cgroup',
      target: '/sys/fs/cgroup',
      fstype: 'cgroup2',
      flags: ['nosuid', 'noexec', 'nodev', 'ro'],
    });
    expect(planOf(edit([]), { cgroupLayout: layout }).userMounts?.[3]?.flags).toEqual([
      'nosuid',
      'noexec',
      'nodev',
    ]);
  });

  it("shows the container's own cgroups without a cgroup namespace, in each layout", () => {
    const edit = (c: Json) =>
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] });
    const own = (layout: object, procsFiles: string[]) =>
      planOf(edit, { cgroupLayout: layout as CgroupLayout, cgroups: { procsFiles } });
    const ro = ['bind', 'nosuid', 'noexec', 'nodev', 'ro'];
    const unified = own({ mode: 'unified', v1: [], unifiedMount: '/sys/fs/cgroup', self: {} }, [
      '/sys/fs/cgroup/k/ctr/cgroup.procs',
    ]);
    expect(unified.userMounts?.slice(3)).toEqual([
      { source: '/sys/fs/cgroup/k/ctr', target: '/sys/fs/cgroup', fstype: '', flags: ro },
    ]);
    const v1 = [
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'], root: '/' },
      { mountPoint: '/sys/fs/cgroup/memory', controllers: ['memory'], root: '/' },
      { mountPoint: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'], root: '/' },
    ];
    const placed = [
      '/sys/fs/cgroup/cpu,cpuacct/k/ctr/cgroup.procs',
      '/sys/fs/cgroup/memory/k/ctr/cgroup.procs',
      '/sys/fs/cgroup/systemd/k/ctr/cgroup.procs',
    ];
    const tmpfs = {
      source: 'tmpfs',
      target: '/sys/fs/cgroup',
      fstype: 'tmpfs',
      flags: ['nosuid', 'noexec', 'nodev'],
      data: 'mode=755',
    };
    const legacy = own({ mode: 'legacy', v1, self: {} }, placed);
    expect(legacy.userMounts?.slice(3)).toEqual([
      tmpfs,
      {
        source: '/sys/fs/cgroup/cpu,cpuacct/k/ctr',
        target: '/sys/fs/cgroup/cpu,cpuacct',
        fstype: '',
        flags: ro,
      },
      { source: '/sys/fs/cgroup/memory/k/ctr', target: '/sys/fs/cgroup/memory', fstype: '', flags: ro },
      { source: '/sys/fs/cgroup/systemd/k/ctr', target: '/sys/fs/cgroup/systemd', fstype: '', flags: ro },
    ]);
    expect(legacy.symlinks).toContainEqual({ path: '/sys/fs/cgroup/cpu', target: 'cpu,cpuacct' });
    // The tmpfs is made read-only once the directories and links are in.
    expect(legacy.readOnlyPaths).toContain('/sys/fs/cgroup');
    const hybrid = own({ mode: 'hybrid', v1, unifiedMount: '/sys/fs/cgroup/unified', self: {} }, [
      ...placed,
      '/sys/fs/cgroup/unified/k/ctr/cgroup.procs',
    ]);
    expect(hybrid.userMounts?.at(-1)).toEqual({
      source: '/sys/fs/cgroup/unified/k/ctr',
      target: '/sys/fs/cgroup/unified',
      fstype: '',
      flags: ro,
    });
    // Before the cgroups are made (the first translation) nothing is shown.
    expect(
      planOf(edit, { cgroupLayout: { mode: 'legacy', v1, self: {} } as unknown as CgroupLayout }).userMounts,
    ).toHaveLength(3);
  });

  it('keeps the root private, or slave; refuses shared', () => {
    expect(planOf((c) => (c.linux.rootfsPropagation = 'rslave')).rootPropagation).toBe('rslave');
    expect(planOf((c) => (c.linux.rootfsPropagation = 'private')).rootPropagation).toBeUndefined();
    refused((c) => (c.linux.rootfsPropagation = 'rshared'), 'linux.rootfsPropagation');
  });
});

describe('config.json: process', () => {
  it('takes args, env, cwd, user with groups and umask, terminal', () => {
    const plan = planOf((c) =>
      Object.assign(c.process, {
        args: ['sleep', '1'],
        env: ['A=1', 'PATH=/bin'],
        cwd: '/work',
        terminal: true,
        user: { uid: 1000, gid: 100, additionalGids: [10, 20], umask: 0o27 },
      }),
    );
    expect(plan.process).toMatchObject({
      args: ['sleep', '1'],
      env: ['A=1', 'PATH=/bin'],
      cwd: '/work',
      uid: 1000,
      gid: 100,
      additionalGids: [10, 20],
      umask: 0o27,
      terminal: true,
    });
    const ops = encodeLaunchPlan({ ...plan, cgroups: { procsFiles: [] } });
    expect(ops.join(' ')).toContain('umask 27 env');
  });

  it('refuses a missing command, a relative cwd, a user name', () => {
    refused((c) => (c.process.args = []), 'process.args');
    refused((c) => (c.process.cwd = 'work'), 'process.cwd');
    refused((c) => (c.process.user.username = 'me'), 'process.user.username');
  });

  it('keeps every capability set; ambient only where permitted and inheritable', () => {
    const plan = planOf(
      (c) =>
        (c.process.capabilities = {
          bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
          effective: ['CAP_CHOWN'],
          permitted: ['CAP_CHOWN', 'CAP_KILL'],
          inheritable: ['CAP_KILL'],
          ambient: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NO_SUCH_THING'],
        }),
    );
    expect(plan.process.capabilities).toEqual(['CHOWN', 'KILL', 'NET_RAW']);
    expect(plan.process.capabilitySets).toEqual({
      effective: ['CHOWN'],
      permitted: ['CHOWN', 'KILL'],
      inheritable: ['KILL'],
      ambient: ['KILL'],
    });
    const ops = encodeLaunchPlan({ ...plan, cgroups: { procsFiles: [] } });
    // bits: CHOWN 0, KILL 5.
    expect(ops.join(' ')).toContain('caps 1 21 20 20');
  });

  it('takes rlimits (RLIM_INFINITY as unlimited), noNewPrivileges, oomScoreAdj', () => {
    const plan = planOf((c) =>
      Object.assign(c.process, {
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2 ** 64 - 1 }],
        noNewPrivileges: true,
        oomScoreAdj: 500,
      }),
    );
    expect(plan.process.rlimits).toEqual([{ type: 'nofile', soft: 1024, hard: 'unlimited' }]);
    expect(plan.process.noNewPrivileges).toBe(true);
    expect(plan.oomScoreAdj).toBe(500);
    refused(
      (c) => (c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]),
      'process.rlimits[0].type',
    );
  });

  it('keeps consoleSize for the terminal, and refuses what koker cannot do', () => {
    expect(parse((c) => (c.process.consoleSize = { height: 40, width: 120 })).process?.consoleSize).toEqual({
      rows: 40,
      columns: 120,
    });
    refused((c) => (c.process.apparmorProfile = 'docker-default'), 'process.apparmorProfile');
    refused((c) => (c.process.selinuxLabel = 'x'), 'process.selinuxLabel');
    refused((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 1 }), 'process.ioPriority');
    refused((c) => (c.process.scheduler = { policy: 'SCHED_FIFO' }), 'process.scheduler');
    // Empty values are what engines write when nothing is asked.
    expect(() => planOf((c) => (c.process.apparmorProfile = ''))).not.toThrow();
  });

  it('reads exec --process JSON as the same process object', () => {
    const p = parseProcessSpec(
      JSON.stringify({ args: ['ls'], cwd: '/', user: { uid: 1, gid: 2 }, terminal: true }),
    );
    expect(p).toMatchObject({ args: ['ls'], uid: 1, gid: 2, terminal: true });
  });
});

describe('config.json: linux', () => {
  it('makes the default /dev nodes on a fresh /dev, then linux.devices', () => {
    const plan = planOf(
      (c) => (c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600 }]),
    );
    expect(plan.devices.map((d) => d.path)).toEqual([
      '/dev/null',
      '/dev/zero',
      '/dev/full',
      '/dev/tty',
      '/dev/random',
      '/dev/urandom',
      '/dev/fuse',
    ]);
    expect(plan.devices.at(-1)).toEqual({ path: '/dev/fuse', type: 'c', major: 10, minor: 229, mode: 0o600 });
    expect(plan.symlinks.map((s) => s.path)).toContain('/dev/ptmx');
    refused((c) => (c.linux.devices = [{ path: '/dev/x', type: 'p' }]), 'linux.devices[0].type');
    refused((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', uid: 5 }]), 'linux.devices[0].uid');
  });

  it('reads memory, cpu, pids, cpuset and device rules of linux.resources', () => {
    const config = parse(
      (c) =>
        (c.linux.resources = {
          memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 },
          cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1' },
          pids: { limit: 100 },
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
          ],
        }),
    );
    expect(config.linux.resources).toEqual({
      memory: 64 << 20,
      memoryReservation: 32 << 20,
      memorySwap: 128 << 20,
      cpuShares: 512,
      nanoCpus: 500_000_000,
      cpusetCpus: '0-1',
      pidsLimit: 100,
    });
    expect(bundleDeviceRules(config, [])).toEqual([
      { allow: false, type: 'a', access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
    ]);
    expect(
      parse((c) => (c.linux.resources = { memory: { swap: -1 }, pids: { limit: -1 } })).linux.resources,
    ).toEqual({
      memorySwap: 'unlimited',
      pidsLimit: 'unlimited',
    });
  });

  it('refuses resources the drivers do not set', () => {
    refused((c) => (c.linux.resources = { blockIO: { weight: 10 } }), 'linux.resources.blockIO');
    refused((c) => (c.linux.resources = { cpu: { mems: '0' } }), 'linux.resources.cpu.mems');
    refused((c) => (c.linux.resources = { memory: { swappiness: 10 } }), 'linux.resources.memory.swappiness');
    refused(
      (c) => (c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }),
      'hugepageLimits',
    );
  });

  it('maps cgroupsPath to a parent and a name, systemd slices made on cgroupfs', () => {
    expect(parseCgroupsPath('/libpod_parent/libpod-abc', 'abc', false)).toEqual({
      parent: '/libpod_parent',
      name: 'libpod-abc',
    });
    expect(parseCgroupsPath(undefined, 'abc', false)).toEqual({ parent: '/koker-runtime', name: 'abc' });
    expect(parseCgroupsPath('system.slice:docker:abc', 'abc', true)).toEqual({
      parent: '/system.slice',
      name: 'docker-abc.scope',
    });
    expect(parseCgroupsPath('a-b.slice:crio:x', 'x', true)).toEqual({
      parent: '/a.slice/a-b.slice',
      name: 'crio-x.scope',
    });
    expect(() => parseCgroupsPath('/top', 'x', false)).toThrow(/linux.cgroupsPath/);
  });

  it("compiles linux.seccomp through koker's compiler; no seccomp is unconfined", () => {
    const seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    const plan = planOf((c) => (c.linux.seccomp = seccomp));
    expect(plan.process.seccomp).toEqual({ profile: expect.stringContaining('"mkdir"') });
    expect(encodeLaunchPlan({ ...plan, cgroups: { procsFiles: [] } })).toContain('seccomp');
    expect(planOf().process.seccomp).toBe('unconfined');
    refused(
      (c) => (c.linux.seccomp = { ...seccomp, listenerPath: '/run/x.sock' }),
      'linux.seccomp.listenerPath',
    );
    refused(
      (c) => (c.linux.seccomp = { ...seccomp, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] }),
      'linux.seccomp.flags',
    );
  });

  it('takes sysctl, maskedPaths, readonlyPaths', () => {
    const plan = planOf((c) =>
      Object.assign(c.linux, {
        sysctl: { 'net.ipv4.ip_forward': '1' },
        maskedPaths: ['/proc/kcore'],
        readonlyPaths: ['/proc/sys'],
      }),
    );
    expect(plan).toMatchObject({
      sysctls: { 'net.ipv4.ip_forward': '1' },
      maskedPaths: ['/proc/kcore'],
      readOnlyPaths: ['/proc/sys'],
    });
  });

  it('refuses intelRdt, personality, a mount label', () => {
    refused((c) => (c.linux.intelRdt = { closID: 'x' }), 'linux.intelRdt');
    refused((c) => (c.linux.personality = { domain: 'LINUX32' }), 'linux.personality');
    refused((c) => (c.linux.mountLabel = 'system_u'), 'linux.mountLabel');
  });
});

describe('config.json: hooks', () => {
  const hook = { path: '/usr/bin/hook', args: ['run-hook', 'x'], env: ['A=1'], timeout: 5 };
  const all = {
    prestart: [hook],
    createRuntime: [hook],
    createContainer: [hook],
    startContainer: [hook],
    poststart: [hook],
    poststop: [hook],
  };
  const base = { ociVersion: '1.2.0', id: 'ctr-1', bundle: '/bundles/b', annotations: { a: 'b' } };

  it('keeps all six kinds with path, args, env and timeout; a relative path is refused', () => {
    expect(parse((c) => (c.hooks = all)).hooks).toEqual(all);
    refused((c) => (c.hooks = { prestart: [{ path: 'hook' }] }), 'hooks.prestart[0].path');
    refused(
      (c) => (c.hooks = { startContainer: [{ path: '/h', when: 'now' }] }),
      'hooks.startContainer[0].when',
    );
  });

  it('gives each hook the state it runs in, split where the pid goes', () => {
    const state = splitHookState(base, 'creating');
    expect(JSON.parse(`${state.beforePid}4242${state.afterPid}`)).toEqual({
      ociVersion: '1.2.0',
      id: 'ctr-1',
      status: 'creating',
      pid: 4242,
      bundle: '/bundles/b',
      annotations: { a: 'b' },
    });
    const bare = splitHookState({ ...base, annotations: {} }, 'created');
    expect(JSON.parse(`${bare.beforePid}1${bare.afterPid}`)).not.toHaveProperty('annotations');
  });

  it('runs prestart, createRuntime and createContainer while creating, startContainer once created', () => {
    const hooks = launchHooks(parse((c) => (c.hooks = all)).hooks, base);
    const creating = splitHookState(base, 'creating');
    const expected = {
      path: '/usr/bin/hook',
      args: ['run-hook', 'x'],
      env: ['A=1'],
      timeout: 5,
      state: creating,
    };
    expect(hooks).toEqual({
      prestart: [expected],
      createRuntime: [expected],
      createContainer: [expected],
      startContainer: [{ ...expected, state: splitHookState(base, 'created') }],
    });
    // poststart and poststop are koker-runtime's own: no hook for the launch.
    expect(launchHooks(parse((c) => (c.hooks = { poststart: [hook] })).hooks, base)).toBeUndefined();
  });

  it('encodes runtime hooks for the monitor, createContainer before pivot_root, startContainer before execve', () => {
    const hooks = launchHooks(parse((c) => (c.hooks = all)).hooks, base);
    const ops = encodeLaunchPlan(
      { ...planOf(), ...(hooks ? { hooks } : {}), cgroups: { procsFiles: ['/cg/cgroup.procs'] } },
      { handoff: { startFifo: '/run/k/exec.fifo' } },
    );
    const stages = ops.flatMap((op, i) => (op === 'hook' ? [ops[i + 1]] : []));
    expect(stages).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer']);
    const first = ops.indexOf('hook');
    expect(ops.slice(first, first + 11)).toEqual([
      'hook',
      'prestart',
      '/usr/bin/hook',
      '5',
      '2',
      'run-hook',
      'x',
      '1',
      'A=1',
      expect.stringMatching(/^\{"ociVersion":"1.2.0","id":"ctr-1","status":"creating","pid":$/),
      ',"bundle":"/bundles/b","annotations":{"a":"b"}}',
    ]);
    const at = (op: string, from = 0) => ops.indexOf(op, from);
    const hookAt = (stage: string) => ops.findIndex((op, i) => op === 'hook' && ops[i + 1] === stage);
    // Read by the monitor (before clone); run when the child reaches runtimehooks.
    expect(hookAt('createRuntime')).toBeLessThan(at('clone'));
    expect(at('runtimehooks')).toBeGreaterThan(ops.lastIndexOf('mknod'));
    expect(hookAt('createContainer')).toBeGreaterThan(at('runtimehooks'));
    expect(at('pivot')).toBeGreaterThan(hookAt('createContainer'));
    expect(hookAt('startContainer')).toBeGreaterThan(at('waitstart'));
    expect(hookAt('startContainer')).toBeGreaterThan(at('user'));
    expect(hookAt('startContainer')).toBeGreaterThan(at('env'));
    expect(at('exec', hookAt('startContainer'))).toBeGreaterThan(hookAt('startContainer'));
    // No runtime hook: the child does not stop for one.
    const { prestart: _p, createRuntime: _c, ...inside } = hooks ?? all;
    const without = encodeLaunchPlan({
      ...planOf(),
      hooks: { ...(inside as typeof hooks & object), prestart: [], createRuntime: [] },
      cgroups: { procsFiles: [] },
    });
    expect(without).not.toContain('runtimehooks');
  });

  it("passes the caller's fds after the channel when asked", () => {
    const ops = encodeLaunchPlan({ ...planOf(), cgroups: { procsFiles: [] } }, { passFds: 3 });
    expect(ops.slice(0, 4)).toEqual(['pdeathsig', '9', 'preservefds', '3']);
    expect(encodeLaunchPlan({ ...planOf(), cgroups: { procsFiles: [] } })).not.toContain('preservefds');
  });
});

describe('the launch plan of a bundle', () => {
  it("is koker's plan: the same encoder runs it, waiting on the start fifo when handed off", () => {
    const plan = planOf();
    expect(plan.id).toMatch(/^[0-9a-f]{64}$/);
    const ops = encodeLaunchPlan(
      { ...plan, cgroups: { procsFiles: ['/sys/fs/cgroup/x/cgroup.procs'] } },
      {
        handoff: {
          startFifo: '/run/k/exec.fifo',
          consoleSocket: '/tmp/c.sock',
          consoleSize: { rows: 24, columns: 80 },
        },
      },
    );
    expect(ops.slice(0, 7)).toEqual(['pdeathsig', '9', 'handoff', '/tmp/c.sock', '24', '80', 'cgroup']);
    expect(ops).toContain('startfifo');
    expect(ops.indexOf('waitstart')).toBeLessThan(ops.indexOf('user'));
    expect(ops.indexOf('waitstart')).toBeGreaterThan(ops.indexOf('pivot'));
  });
});
