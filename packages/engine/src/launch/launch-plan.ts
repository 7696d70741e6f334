import {
  type DeviceNode,
  type ExecPlan,
  type LaunchPlan,
  type MountStep,
  type NamespaceJoin,
  type NamespaceKind,
  type ProcessSpec,
  type SymlinkStep,
  type NetworkMode,
  type CgroupPlacement,
  type OverlayMount,
  type ContainerId,
  type CgroupLayout,
} from '@koker/core';
import { cgroupMounts } from './cgroup-mounts.js';

/** Docker's /dev: these nodes, each 0666, on a fresh tmpfs. */
export const DEFAULT_DEVICES: readonly DeviceNode[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, mode: 0o666 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, mode: 0o666 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, mode: 0o666 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, mode: 0o666 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, mode: 0o666 },
];

export const DEFAULT_SYMLINKS: readonly SymlinkStep[] = [
  { path: '/dev/fd', target: '/proc/self/fd' },
  { path: '/dev/stdin', target: '/proc/self/fd/0' },
  { path: '/dev/stdout', target: '/proc/self/fd/1' },
  { path: '/dev/stderr', target: '/proc/self/fd/2' },
  { path: '/dev/ptmx', target: 'pts/ptmx' },
  { path: '/dev/core', target: '/proc/kcore' },
];

/** Docker's masked paths: hidden behind /dev/null (files) or an empty read-only tmpfs (dirs). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/**
 * Set in a network namespace of the container's own, as Docker does: any group may open ICMP
 * datagram sockets, so `ping` works without CAP_NET_RAW or a setuid/file-capability binary (what
 * Debian's ping falls back to when its file capability is lost or NET_RAW dropped); any user
 * may bind a port below 1024 (a web server running as a user on :80), which in a namespace of
 * its own reaches nothing of the host's.
 */
export const NETWORK_NAMESPACE_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ping_group_range': '0 2147483647',
  'net.ipv4.ip_unprivileged_port_start': '0',
};

/** The container's own copies of these files, in its directory (never written into the image). */
export interface ContainerFiles {
  readonly hostname: string;
  readonly hosts: string;
  readonly resolvConf: string;
}

export interface PlanInputs {
  readonly id: ContainerId;
  readonly rootfs: { readonly path: string; readonly readOnly: boolean; readonly overlay?: OverlayMount };
  readonly hostname: string;
  /** `--domainname`; never set in the host's UTS namespace. */
  readonly domainname?: string;
  readonly process: ProcessSpec;
  readonly cgroups: CgroupPlacement;
  readonly network: { readonly mode: NetworkMode; readonly netnsPath?: string };
  readonly files: ContainerFiles;
  readonly privileged: boolean;
  /** `--device` nodes, made after Docker's own. */
  readonly devices?: readonly DeviceNode[];
  readonly init: boolean;
  /** Whether the kernel has cgroup namespaces (/proc/self/ns/cgroup exists). */
  readonly cgroupNamespace: boolean;
  /** The host's cgroup mounts, which /sys/fs/cgroup shows (none when absent). */
  readonly cgroupLayout?: CgroupLayout;
  /** The user's mounts (userMountSteps), and the propagation they need. */
  readonly userMounts?: readonly MountStep[];
  readonly rootPropagation?: LaunchPlan['rootPropagation'];
  /** `--shm-size` in bytes; Docker's 64 MiB when absent. */
  readonly shmSize?: number;
  /** A host directory bound at /dev/shm instead of a tmpfs of its own (`--ipc shareable|container:|host`). */
  readonly shmSource?: string;
  /** `--sysctl`, over the network namespace's defaults. */
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly oomScoreAdj?: number;
  /** `--uts`, `--pid`, `--ipc` resolved: the host's (none made), or another's to join. */
  readonly namespaces?: NamespaceChoices;
}

/** A namespace the container does not make: the host's, or one to join by its /proc path. */
export type SharedNamespace = 'host' | { readonly path: string };

export interface NamespaceChoices {
  readonly uts?: 'host';
  readonly pid?: SharedNamespace;
  readonly ipc?: SharedNamespace;
}

/** Docker's /dev/shm size when `--shm-size` is not given. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's default mounts, in order; `/sys` is writable only when privileged. */
export function defaultMounts(
  privileged: boolean,
  files: ContainerFiles,
  shmSize: number = DEFAULT_SHM_SIZE,
  shmSource?: string,
): MountStep[] {
  const bind = (source: string, target: string): MountStep => ({
    source,
    target,
    fstype: '',
    flags: ['bind', 'rec'],
    targetType: 'file',
  });
  return [
    { source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'] },
    {
      source: 'tmpfs',
      target: '/dev',
      fstype: 'tmpfs',
      flags: ['nosuid', 'strictatime'],
      data: 'mode=755,size=65536k',
    },
    {
      source: 'devpts',
      target: '/dev/pts',
      fstype: 'devpts',
      flags: ['nosuid', 'noexec'],
      data: 'newinstance,ptmxmode=0666,mode=0620,gid=5',
    },
    {
      source: 'sysfs',
      target: '/sys',
      fstype: 'sysfs',
      flags: ['nosuid', 'noexec', 'nodev', ...(privileged ? [] : ['ro'])],
    },
    { source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: ['nosuid', 'noexec', 'nodev'] },
    shmSource === undefined
      ? {
          source: 'shm',
          target: '/dev/shm',
          fstype: 'tmpfs',
          flags: ['nosuid', 'noexec', 'nodev'],
          data: `mode=1777,size=${Math.ceil(shmSize / 1024)}k`,
        }
      : { source: shmSource, target: '/dev/shm', fstype: '', flags: ['bind', 'rec'] },
    bind(files.resolvConf, '/etc/resolv.conf'),
    bind(files.hostname, '/etc/hostname'),
    bind(files.hosts, '/etc/hosts'),
  ];
}

/**
 * A run's plan: new mount, UTS, IPC and PID namespaces, the network one from the driver (or a
 * new one with only `lo` for `none`, none at all for `host`), a cgroup namespace where the
 * kernel has one; Docker's mounts, /dev, masked and read-only paths.
 */
export function buildLaunchPlan(inputs: PlanInputs): LaunchPlan {
  const create: NamespaceKind[] = ['mount'];
  const join: NamespaceJoin[] = [];
  const shared = inputs.namespaces ?? {};
  if (shared.uts !== 'host') create.push('uts');
  for (const kind of ['ipc', 'pid'] as const) {
    const choice = shared[kind];
    if (choice === undefined) create.push(kind);
    else if (choice !== 'host') join.push({ kind, path: choice.path });
  }
  const { mode, netnsPath } = inputs.network;
  if (netnsPath) join.push({ kind: 'net', path: netnsPath });
  else if (mode !== 'host') create.push('net');
  if (inputs.cgroupNamespace) create.push('cgroup');
  const userTargets = new Set((inputs.userMounts ?? []).map((m) => m.target));
  const cgroupFs = inputs.cgroupLayout
    ? cgroupMounts(inputs.cgroupLayout, inputs.privileged, inputs.cgroupNamespace)
    : { mounts: [], symlinks: [], readOnlyPaths: [] };
  // Docker's default for a network namespace of the container's own, then `--sysctl`.
  const sysctls = { ...(mode !== 'host' ? NETWORK_NAMESPACE_SYSCTLS : {}), ...inputs.sysctls };
  return {
    id: inputs.id,
    rootfs: inputs.rootfs.path,
    ...(inputs.rootfs.overlay ? { rootfsOverlay: inputs.rootfs.overlay } : {}),
    readOnlyRootfs: inputs.rootfs.readOnly,
    newNamespaces: create,
    joinNamespaces: join,
    cgroups: inputs.cgroups,
    // The host's UTS namespace keeps the host's name.
    ...(shared.uts === 'host' ? {} : { hostname: inputs.hostname }),
    ...(shared.uts !== 'host' && inputs.domainname !== undefined ? { domainname: inputs.domainname } : {}),
    loopback: create.includes('net'),
    ...(Object.keys(sysctls).length > 0 ? { sysctls } : {}),
    // A user's mount at /etc/hosts (or another of koker's targets) takes its place, as in Docker.
    mounts: [
      ...defaultMounts(inputs.privileged, inputs.files, inputs.shmSize, inputs.shmSource),
      ...cgroupFs.mounts,
    ].filter((m) => !userTargets.has(m.target)),
    ...(inputs.userMounts?.length ? { userMounts: inputs.userMounts } : {}),
    ...(inputs.rootPropagation && inputs.rootPropagation !== 'rprivate'
      ? { rootPropagation: inputs.rootPropagation }
      : {}),
    devices: inputs.devices?.length ? [...DEFAULT_DEVICES, ...inputs.devices] : DEFAULT_DEVICES,
    symlinks: [...DEFAULT_SYMLINKS, ...cgroupFs.symlinks],
    maskedPaths: inputs.privileged ? [] : DEFAULT_MASKED_PATHS,
    readOnlyPaths: inputs.privileged ? [] : [...DEFAULT_READONLY_PATHS, ...cgroupFs.readOnlyPaths],
    process: inputs.process,
    init: inputs.init,
    ...(inputs.oomScoreAdj !== undefined ? { oomScoreAdj: inputs.oomScoreAdj } : {}),
  };
}

/** The namespaces `exec` joins, in the order it joins them (mount last: it changes the root). */
export const EXEC_NAMESPACES: readonly NamespaceKind[] = ['cgroup', 'ipc', 'uts', 'net', 'pid', 'mount'];

/** `exec`: every namespace of the container's first process, and its cgroups. */
export function buildExecPlan(inputs: {
  id: ContainerId;
  pid: number;
  process: ProcessSpec;
  cgroups: CgroupPlacement;
  namespaces?: readonly NamespaceKind[];
}): ExecPlan {
  return {
    id: inputs.id,
    joinNamespaces: (inputs.namespaces ?? EXEC_NAMESPACES).map((kind) => ({
      kind,
      path: `/proc/${inputs.pid}/ns/${kind === 'mount' ? 'mnt' : kind}`,
    })),
    cgroups: inputs.cgroups,
    process: inputs.process,
  };
}
