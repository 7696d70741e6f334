import { createHash } from 'node:crypto';
import {
  InvalidValueError,
  parseContainerId,
  type CgroupLayout,
  type CgroupPlacement,
  type DeviceNode,
  type DeviceRule,
  type LaunchPlan,
  type MountStep,
  type NamespaceJoin,
  type NamespaceKind,
  type ProcessSpec,
  type SymlinkStep,
} from '@koker/core';
import { cgroupMounts, ownCgroupMounts } from '../launch/cgroup-mounts.js';
import { DEFAULT_DEVICES, DEFAULT_SYMLINKS } from '../launch/launch-plan.js';
import { type RuntimeConfig, type SpecMount, type SpecProcess } from './runtime-config.js';
import { UnsupportedFieldError } from './spec-reader.js';

/** What the translation asks of the host. */
export interface BundleHost {
  /** The host's cgroup mounts: a `cgroup` mount in config.json shows them. */
  readonly cgroupLayout?: CgroupLayout;
  /** The container's cgroups, once made: shown at /sys/fs/cgroup without a cgroup namespace. */
  readonly cgroups?: CgroupPlacement;
  /** Whether a bind mount's source is a file (its target is then made as a file). */
  isFile(path: string): boolean;
  /** Whether the kernel has time namespaces (/proc/self/ns/time); absent: assumed. */
  readonly timeNamespaces?: boolean;
}

/** A launch plan without its cgroups, which the runtime makes from linux.resources. */
export type BundleLaunchPlan = Omit<LaunchPlan, 'cgroups'>;

const FLAGS: Readonly<Record<string, { set?: string; clear?: string }>> = {
  ro: { set: 'ro' },
  rw: { clear: 'ro' },
  nosuid: { set: 'nosuid' },
  suid: { clear: 'nosuid' },
  nodev: { set: 'nodev' },
  dev: { clear: 'nodev' },
  noexec: { set: 'noexec' },
  exec: { clear: 'noexec' },
  sync: { set: 'sync' },
  async: { clear: 'sync' },
  dirsync: { set: 'dirsync' },
  mand: { set: 'mand' },
  nomand: { clear: 'mand' },
  noatime: { set: 'noatime' },
  atime: { clear: 'noatime' },
  nodiratime: { set: 'nodiratime' },
  diratime: { clear: 'nodiratime' },
  relatime: { set: 'relatime' },
  norelatime: { clear: 'relatime' },
  strictatime: { set: 'strictatime' },
  nostrictatime: { clear: 'strictatime' },
  bind: { set: 'bind' },
  rbind: { set: 'bind' },
  // What the kernel does anyway (messages on failure): nothing to set.
  silent: {},
  loud: {},
  defaults: {},
};

const PROPAGATIONS = new Set([
  'private',
  'rprivate',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'unbindable',
  'runbindable',
]);

/** Options of runc and crun that change more than mount(2) flags. */
const UNSUPPORTED_OPTIONS = new Set([
  'tmpcopyup',
  'idmap',
  'ridmap',
  'copy-symlink',
  'rro',
  'rrw',
  'rnosuid',
  'rnodev',
  'rnoexec',
  'rsuid',
  'rdev',
  'rexec',
]);

/** One config.json mount as koker-init's mount step: options split into flags, propagation and data. */
export function mountStep(mount: SpecMount, index: number, host: Pick<BundleHost, 'isFile'>): MountStep {
  const flags = new Set<string>();
  const data: string[] = [];
  let propagation: string | undefined;
  for (const option of mount.options) {
    if (UNSUPPORTED_OPTIONS.has(option))
      throw new UnsupportedFieldError(`mounts[${index}].options`, `mount option ${option}`);
    if (option === 'remount')
      throw new UnsupportedFieldError(
        `mounts[${index}].options`,
        'remount: a mount of the bundle is made, not changed',
      );
    if (PROPAGATIONS.has(option)) {
      propagation = option;
      continue;
    }
    const flag = FLAGS[option];
    if (!flag) {
      data.push(option);
      continue;
    }
    if (flag.set) flags.add(flag.set);
    if (flag.clear) flags.delete(flag.clear);
    if (option === 'rbind') flags.add('rec');
  }
  const bind = mount.type === 'bind' || flags.has('bind');
  if (mount.type === 'bind') flags.add('bind');
  if (bind && data.length > 0)
    throw new UnsupportedFieldError(
      `mounts[${index}].options`,
      `bind mounts take no data options: ${data.join(',')}`,
    );
  return {
    source: mount.source,
    target: mount.destination,
    fstype: bind ? '' : mount.type,
    flags: [...flags],
    ...(data.length > 0 ? { data: data.join(',') } : {}),
    ...(bind && host.isFile(mount.source) ? { targetType: 'file' as const } : {}),
    ...(propagation ? { propagation } : {}),
  };
}

/** The process's spec, every value as koker-init takes it. */
export function processSpec(process: SpecProcess, seccomp: string | undefined): ProcessSpec {
  const caps = process.capabilities;
  return {
    args: process.args,
    env: process.env,
    cwd: process.cwd,
    uid: process.uid,
    gid: process.gid,
    additionalGids: process.additionalGids,
    terminal: process.terminal,
    stdin: true,
    capabilities: caps.bounding,
    capabilitySets: {
      effective: caps.effective,
      permitted: caps.permitted,
      inheritable: caps.inheritable,
      // The kernel raises an ambient capability only when permitted and inheritable (runc warns
      // and goes on for the others).
      ambient: caps.ambient.filter((c) => caps.permitted.includes(c) && caps.inheritable.includes(c)),
    },
    noNewPrivileges: process.noNewPrivileges,
    seccomp: seccomp !== undefined ? { profile: seccomp } : 'unconfined',
    rlimits: process.rlimits,
    ...(process.umask !== undefined ? { umask: process.umask } : {}),
  };
}

/** Allow rules for the nodes the runtime makes, after the bundle's own rules (runc's order). */
export function bundleDeviceRules(config: RuntimeConfig, devices: readonly DeviceNode[]): DeviceRule[] {
  const own = config.linux.deviceRules;
  return [
    ...(own.length > 0 ? own : [{ allow: false, type: 'a' as const, access: 'rwm' }]),
    ...devices.map((d): DeviceRule => ({
      allow: true,
      type: d.type,
      major: d.major,
      minor: d.minor,
      access: 'rwm',
    })),
    // The terminal's pty slaves and /dev/ptmx, which the process opens through its devpts.
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  ];
}

/** The device nodes made in /dev: the runtime-spec's defaults on a fresh /dev, then linux.devices. */
export function bundleDevices(config: RuntimeConfig): DeviceNode[] {
  const freshDev = config.mounts.some((m) => m.destination === '/dev' && m.type === 'tmpfs');
  const own = config.linux.devices;
  const defaults = freshDev ? DEFAULT_DEVICES.filter((d) => !own.some((o) => o.path === d.path)) : [];
  return [...defaults, ...own];
}

/** The user and time namespaces' own fields, each needing its namespace (and it, them). */
function checkUserAndTime(
  config: RuntimeConfig,
  create: readonly NamespaceKind[],
  join: readonly NamespaceJoin[],
  host: BundleHost,
): void {
  const { uidMappings, gidMappings, timeOffsets } = config.linux;
  if (create.includes('user')) {
    if (uidMappings.length === 0)
      throw new InvalidValueError(
        'config.json field',
        'linux.uidMappings',
        'required with a new user namespace',
      );
    if (gidMappings.length === 0)
      throw new InvalidValueError(
        'config.json field',
        'linux.gidMappings',
        'required with a new user namespace',
      );
  } else if (uidMappings.length + gidMappings.length > 0) {
    throw new InvalidValueError(
      'config.json field',
      uidMappings.length > 0 ? 'linux.uidMappings' : 'linux.gidMappings',
      'needs a new user namespace in linux.namespaces',
    );
  }
  // The monitor runs these back in the runtime's namespaces: a user namespace cannot be left.
  if (
    join.some((j) => j.kind === 'user') &&
    config.hooks.prestart.length + config.hooks.createRuntime.length > 0
  )
    throw new UnsupportedFieldError(
      config.hooks.prestart.length > 0 ? 'hooks.prestart' : 'hooks.createRuntime',
      'runtime hooks with a user namespace joined by path',
    );
  const time = create.includes('time') || join.some((j) => j.kind === 'time');
  if (time && host.timeNamespaces === false)
    throw new UnsupportedFieldError('linux.namespaces', 'time: this kernel has no time namespaces');
  if (timeOffsets && !create.includes('time'))
    throw new InvalidValueError(
      'config.json field',
      'linux.timeOffsets',
      'needs a new time namespace in linux.namespaces',
    );
}

/**
 * config.json -> koker's launch plan: what `koker run` would run, built from the bundle's own
 * mounts, namespaces and process instead of Docker's defaults. The plan's id is derived from the
 * runtime's ID (engines' IDs are any string; koker's are 64 hex digits).
 */
export function bundleLaunchPlan(config: RuntimeConfig, id: string, host: BundleHost): BundleLaunchPlan {
  const process = config.process;
  if (!process) throw new InvalidValueError('config.json field', 'process', 'required to start a container');
  const create: NamespaceKind[] = [];
  const join: NamespaceJoin[] = [];
  config.linux.namespaces.forEach((ns, index) => {
    if (create.includes(ns.kind) || join.some((j) => j.kind === ns.kind))
      throw new InvalidValueError(
        'config.json field',
        `linux.namespaces[${index}]`,
        `${ns.kind} is given twice`,
      );
    if (ns.path !== undefined) join.push({ kind: ns.kind, path: ns.path });
    else create.push(ns.kind);
  });
  checkUserAndTime(config, create, join, host);
  if (!create.includes('mount'))
    throw new UnsupportedFieldError('linux.namespaces', 'koker-runtime needs a new mount namespace');
  if ((config.hostname || config.domainname) && !create.includes('uts'))
    throw new InvalidValueError('config.json field', 'hostname', 'needs a new uts namespace');
  const cgroupNamespace = create.includes('cgroup');
  const userMounts: MountStep[] = [];
  const symlinks: SymlinkStep[] = [];
  const readOnlyPaths: string[] = [];
  config.mounts.forEach((mount, index) => {
    if (mount.type === 'cgroup' || mount.type === 'cgroup2') {
      // The hierarchies as koker shows them (the v1 tmpfs and one mount each, or cgroup2), made
      // in the cgroup namespace; without one, the container's own cgroup directories.
      const readOnly = mount.options.includes('ro');
      const layout = host.cgroupLayout;
      const fs = !layout
        ? undefined
        : cgroupNamespace
          ? cgroupMounts(layout, !readOnly, true)
          : ownCgroupMounts(layout, host.cgroups, readOnly);
      userMounts.push(...(fs?.mounts ?? []));
      symlinks.push(...(fs?.symlinks ?? []));
      readOnlyPaths.push(...(fs?.readOnlyPaths ?? []));
      return;
    }
    userMounts.push(mountStep(mount, index, host));
  });
  const devPts = config.mounts.some((m) => m.destination === '/dev/pts');
  const freshDev = config.mounts.some((m) => m.destination === '/dev' && m.type === 'tmpfs');
  const propagation = config.linux.rootfsPropagation;
  if (propagation && !['private', 'rprivate', 'slave', 'rslave'].includes(propagation))
    throw new UnsupportedFieldError(
      'linux.rootfsPropagation',
      `${propagation}: koker keeps the root private or slave`,
    );
  const planId = parseContainerId(createHash('sha256').update(id).digest('hex'));
  const plan: BundleLaunchPlan = {
    id: planId,
    rootfs: config.root.path,
    readOnlyRootfs: config.root.readonly,
    newNamespaces: create,
    joinNamespaces: join,
    ...(create.includes('user')
      ? { userNamespace: { uidMappings: config.linux.uidMappings, gidMappings: config.linux.gidMappings } }
      : {}),
    ...(create.includes('time') && config.linux.timeOffsets ? { timeOffsets: config.linux.timeOffsets } : {}),
    ...(config.hostname !== undefined ? { hostname: config.hostname } : {}),
    ...(config.domainname !== undefined ? { domainname: config.domainname } : {}),
    loopback: create.includes('net'),
    ...(Object.keys(config.linux.sysctl).length > 0 ? { sysctls: config.linux.sysctl } : {}),
    mounts: [],
    userMounts,
    ...(propagation === 'slave' || propagation === 'rslave' ? { rootPropagation: 'rslave' as const } : {}),
    devices: bundleDevices(config),
    symlinks: [
      ...(freshDev ? DEFAULT_SYMLINKS.filter((s) => devPts || s.path !== '/dev/ptmx') : []),
      ...symlinks,
    ],
    maskedPaths: config.linux.maskedPaths,
    readOnlyPaths: [...config.linux.readonlyPaths, ...readOnlyPaths],
    process: processSpec(process, config.linux.seccomp),
    init: false,
    ...(process.oomScoreAdj !== undefined ? { oomScoreAdj: process.oomScoreAdj } : {}),
  };
  return plan;
}
