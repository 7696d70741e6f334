import { release } from 'node:os';
import { posix } from 'node:path';
import {
  type ExecPlan,
  type HandoffOptions,
  type IdMapping,
  type NamespaceJoin,
  type TimeOffsets,
  type LaunchHook,
  type LaunchPlan,
  type ProcessSpec,
  type MountStep,
  type OverlayMount,
  InvalidValueError,
} from '@koker/core';
import { capabilityMask } from './capabilities.js';
import { searchPath } from './process-spec.js';
import { compileSeccomp } from './seccomp/compile.js';
import { encodeProgram } from './seccomp/bpf.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp/profile.js';
import { parseDockerSeccompProfile } from './seccomp/docker-profile.js';

/**
 * The plan in koker-init's encoding: a flat list of strings, each op a name followed by a fixed
 * number of arguments (lists carry their length first). See native/README.md for every op.
 * The monitor's ops come first, up to `clone`; the container's process runs the rest in order.
 */
export type NativeOps = string[];

const hex = (mask: bigint) => mask.toString(16);
const octal = (mode: number) => mode.toString(8);
const list = (items: readonly (string | number)[]) => [String(items.length), ...items.map(String)];

/** The capability sets: root keeps the bounding set in effect; other users start with none. */
export function capabilitySets(process: ProcessSpec): {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
} {
  const bounding = capabilityMask(process.capabilities);
  const sets = process.capabilitySets;
  if (sets) {
    return {
      bounding,
      effective: capabilityMask(sets.effective),
      permitted: capabilityMask(sets.permitted),
      inheritable: capabilityMask(sets.inheritable),
      ambient: capabilityMask(sets.ambient),
    };
  }
  const own = process.uid === 0 ? bounding : 0n;
  return { bounding, effective: own, permitted: own, inheritable: 0n, ambient: 0n };
}

/** What encodeLaunchPlan and encodeExecPlan are told besides the plan. */
export interface EncodeOptions {
  readonly detached?: boolean;
  readonly handoff?: HandoffOptions;
  /** fds the helper gets after its channel (4..), the command's at 3.. */
  readonly passFds?: number;
  readonly terminalSizeFile?: string;
}

function monitorOps(options: {
  detached: boolean;
  terminal: boolean;
  stdin: boolean;
  handoff?: HandoffOptions;
  passFds?: number;
  terminalSizeFile?: string;
}): NativeOps {
  const size = options.handoff?.consoleSize;
  return [
    // Killed with koker, unless it must outlive it (-d).
    ...(options.detached ? [] : ['pdeathsig', '9']),
    ...(options.terminal ? ['tty', options.stdin ? '1' : '0'] : []),
    ...(options.terminal && options.terminalSizeFile ? ['winsize', options.terminalSizeFile] : []),
    ...(options.handoff
      ? ['handoff', options.handoff.consoleSocket ?? '', String(size?.rows ?? 0), String(size?.columns ?? 0)]
      : []),
    ...(options.passFds ? ['preservefds', String(options.passFds)] : []),
  ];
}

/** A hook as koker-init runs it: `hook STAGE path timeout argv env state-before-pid state-after-pid`. */
export function hookOps(stage: string, hooks: readonly LaunchHook[]): NativeOps {
  return hooks.flatMap((h) => [
    'hook',
    stage,
    h.path,
    String(h.timeout ?? 0),
    ...list(h.args.length > 0 ? h.args : [h.path]),
    ...list(h.env),
    h.state.beforePid,
    h.state.afterPid,
  ]);
}

/** The filter for the process's seccomp mode, compiled for its capabilities (none if unconfined). */
export function seccompOps(process: ProcessSpec): NativeOps {
  if (process.seccomp === 'unconfined') return [];
  const profile =
    typeof process.seccomp === 'object'
      ? parseDockerSeccompProfile(process.seccomp.profile, release())
      : DEFAULT_SECCOMP_PROFILE;
  const program = compileSeccomp(profile, process.capabilities);
  return ['seccomp', encodeProgram(program).toString('hex')];
}

/**
 * The process's identity and its execve: shared by run and exec. Installing the filter takes
 * CAP_SYS_ADMIN or no_new_privs: without no_new_privs it goes before the user and capabilities
 * are set (koker-init still has CAP_SYS_ADMIN; runc's order), with it just before the execve.
 */
function processOps(
  process: ProcessSpec,
  init: boolean,
  waitStart: boolean,
  startHooks: readonly LaunchHook[] = [],
): NativeOps {
  const caps = capabilitySets(process);
  const seccomp = seccompOps(process);
  return [
    ...process.rlimits.flatMap((r) => ['rlimit', r.type, String(r.soft), String(r.hard)]),
    ...(process.terminal ? ['console', String(process.uid), String(process.gid)] : []),
    // An OCI `create`: set up (the terminal sent too), the process waits for `start` while still
    // root (runc's exec fifo); what is left is its identity and the execve.
    ...(waitStart ? ['waitstart'] : []),
    // As root first (runc's order); one root cannot enter is tried again as the user.
    'cwd',
    process.cwd,
    'bounding',
    hex(caps.bounding),
    ...(process.noNewPrivileges ? [] : seccomp),
    'user',
    String(process.uid),
    String(process.gid),
    ...list(process.additionalGids),
    'caps',
    hex(caps.effective),
    hex(caps.permitted),
    hex(caps.inheritable),
    hex(caps.ambient),
    ...(process.noNewPrivileges ? ['nnp', ...seccomp] : []),
    ...(process.umask !== undefined ? ['umask', octal(process.umask)] : []),
    'env',
    ...list(process.env),
    // As the user, with its capabilities and filter, as runc runs them.
    ...hookOps('startContainer', startHooks),
    'exec',
    init ? '1' : '0',
    searchPath(process.env),
    ...list(process.args),
  ];
}

/** A uid_map or gid_map's text: `inside outside size` a line. */
const idMap = (mappings: readonly IdMapping[]) =>
  mappings.map((m) => `${m.containerId} ${m.hostId} ${m.size}\n`).join('');

/** /proc/self/timens_offsets' text: `clock secs nanosecs` a line. */
const clockOffsets = (offsets: TimeOffsets) =>
  (['monotonic', 'boottime'] as const)
    .map((clock) => `${clock} ${offsets[clock]?.secs ?? 0} ${offsets[clock]?.nanosecs ?? 0}\n`)
    .join('');

/**
 * The user namespace before the others, which are then joined with its privileges (runc's
 * nsexec order); a time namespace before it, as the runtime made it in the host's user namespace
 * (setns asks CAP_SYS_ADMIN there).
 */
export function joinOps(joins: readonly NamespaceJoin[]): NativeOps {
  const rank = (j: NamespaceJoin) => (j.kind === 'time' ? 0 : j.kind === 'user' ? 1 : 2);
  return [...joins].sort((a, b) => rank(a) - rank(b)).flatMap((j) => ['join', j.kind, j.path]);
}

/** The overlay at the rootfs path, mounted by the container's process in its mount namespace. */
function overlayOps(target: string, overlay: OverlayMount): NativeOps {
  return [
    'overlay',
    target,
    overlay.upperDir,
    overlay.workDir,
    overlay.volatile ? '1' : '0',
    ...list(overlay.lowerDirs),
    overlay.legacy?.data ?? '',
    overlay.legacy?.cwd ?? '',
  ];
}

/** A bind with a shared or slave propagation: mounts below its source cross to or from the host. */
const takesHostPeers = (m: MountStep) =>
  m.flags.includes('bind') && m.propagation !== undefined && !m.propagation.endsWith('private');

export function encodeLaunchPlan(plan: LaunchPlan, options: EncodeOptions = {}): NativeOps {
  const startFifo = options.handoff?.startFifo;
  const ops: NativeOps = [
    ...monitorOps({
      detached: options.detached ?? false,
      terminal: plan.process.terminal,
      stdin: plan.process.stdin,
      ...(options.handoff ? { handoff: options.handoff } : {}),
      ...(options.passFds ? { passFds: options.passFds } : {}),
      ...(options.terminalSizeFile ? { terminalSizeFile: options.terminalSizeFile } : {}),
    }),
    ...hookOps('prestart', plan.hooks?.prestart ?? []),
    ...hookOps('createRuntime', plan.hooks?.createRuntime ?? []),
    ...(plan.newNamespaces.includes('user') && plan.userNamespace
      ? ['idmap', idMap(plan.userNamespace.uidMappings), idMap(plan.userNamespace.gidMappings)]
      : []),
    ...(plan.newNamespaces.includes('time') ? ['timens', clockOffsets(plan.timeOffsets ?? {})] : []),
    ...joinOps(plan.joinNamespaces),
    ...plan.cgroups.procsFiles.flatMap((file) => ['cgroup', file]),
    // Binds that share mounts with the host are cloned in its namespace, so they stay its peers.
    ...(plan.userMounts ?? []).filter(takesHostPeers).flatMap((m) => ['hosttree', m.source]),
    // The cgroup namespace comes after the cgroups are joined, so that they are its root.
    // The time namespace is the monitor's to make (timens): clone(2) cannot.
    'clone',
    plan.newNamespaces.filter((k) => k !== 'cgroup' && k !== 'time').join(','),
    ...(plan.newNamespaces.includes('cgroup') ? ['unshare', 'cgroup'] : []),
    // Opened while the host's paths are still in reach.
    ...(startFifo !== undefined ? ['startfifo', startFifo] : []),
    // Nothing mounted below may propagate back to the host.
    'mount',
    '',
    '/',
    '',
    plan.rootPropagation === 'rslave' ? 'rec,slave' : 'rec,private',
    '',
    ...(plan.rootfsOverlay ? overlayOps(plan.rootfs, plan.rootfsOverlay) : []),
    'rootfs',
    plan.rootfs,
  ];
  const kokers = (m: LaunchPlan['mounts'][number]) => {
    ops.push(m.targetType === 'file' ? 'mkfile' : 'mkdir', m.target, m.targetType === 'file' ? '644' : '755');
    ops.push('mount', m.source, m.target, m.fstype, m.flags.join(','), m.data ?? '');
  };
  // koker's files (/etc/hosts...) go on top of the user's mounts, so a volume at /etc keeps them.
  const user = plan.userMounts ?? [];
  for (const m of plan.mounts) if (m.targetType !== 'file' || user.length === 0) kokers(m);
  for (const m of user) {
    ops.push(
      'usermount',
      m.source,
      m.target,
      m.fstype,
      m.flags.join(','),
      m.data ?? '',
      m.propagation ?? '',
      m.copyUp ? '1' : '0',
      m.targetType === 'file' ? '1' : '0',
    );
  }
  if (user.length > 0) for (const m of plan.mounts) if (m.targetType === 'file') kokers(m);
  // A user namespace's root cannot mknod: the host's nodes are bound instead (as runc does).
  const bindDevices =
    plan.newNamespaces.includes('user') || plan.joinNamespaces.some((j) => j.kind === 'user');
  for (const d of plan.devices) {
    // A `--device` may go below /dev (/dev/net/tun): its directory first.
    const parent = posix.dirname(d.path);
    if (parent !== '/dev' && parent !== '/') ops.push('mkdir', parent, '755');
    if (bindDevices) ops.push('mkfile', d.path, '0', 'mount', d.path, d.path, '', 'bind', '');
    else ops.push('mknod', d.path, d.type, String(d.major), String(d.minor), octal(d.mode));
  }
  for (const s of plan.symlinks) ops.push('symlink', s.target, s.path);
  if (plan.process.terminal) ops.push('mkfile', '/dev/console', '600');
  // The mounts are made, the old root still in reach (runc's time for them).
  if (plan.hooks && plan.hooks.prestart.length + plan.hooks.createRuntime.length > 0)
    ops.push('runtimehooks');
  ops.push(...hookOps('createContainer', plan.hooks?.createContainer ?? []));
  ops.push('pivot');
  // Before /proc/sys becomes read-only, with every capability still held.
  for (const [name, value] of Object.entries(plan.sysctls ?? {})) ops.push('sysctl', name, value);
  if (plan.oomScoreAdj !== undefined) ops.push('oomscore', String(plan.oomScoreAdj));
  for (const path of plan.maskedPaths) ops.push('mask', path);
  for (const path of plan.readOnlyPaths) ops.push('readonly', path);
  // `-w` is created if missing (as root, like Docker), before the root may become read-only.
  ops.push('mkdir', plan.process.cwd, '755');
  if (plan.readOnlyRootfs) ops.push('mount', '', '/', '', 'bind,remount,ro', '');
  if (plan.hostname !== undefined) ops.push('hostname', plan.hostname);
  if (plan.domainname !== undefined) ops.push('domainname', plan.domainname);
  if (plan.loopback) ops.push('loopback');
  ops.push(...processOps(plan.process, plan.init, startFifo !== undefined, plan.hooks?.startContainer));
  return ops;
}

export function encodeExecPlan(plan: ExecPlan, options: EncodeOptions = {}): NativeOps {
  return [
    ...monitorOps({
      detached: options.detached ?? false,
      terminal: plan.process.terminal,
      stdin: plan.process.stdin,
      ...(options.handoff ? { handoff: options.handoff } : {}),
      ...(options.passFds ? { passFds: options.passFds } : {}),
      ...(options.terminalSizeFile ? { terminalSizeFile: options.terminalSizeFile } : {}),
    }),
    ...joinOps(plan.joinNamespaces),
    ...plan.cgroups.procsFiles.flatMap((file) => ['cgroup', file]),
    'clone',
    '',
    ...processOps(plan.process, false, false),
  ];
}

/** NUL-terminated strings: what koker-init reads on its channel. */
export function serializeOps(ops: NativeOps): Buffer {
  for (const op of ops) {
    if (op.includes('\0')) throw new InvalidValueError('launch plan value', op, 'contains a NUL byte');
  }
  return Buffer.from(ops.map((op) => `${op}\0`).join(''), 'utf8');
}

/** What a stopped container's files are reached through: its root and its user mounts. */
export interface MountHoldPlan {
  readonly rootfs: string;
  /** Mounted at `rootfs` first, as for a start. */
  readonly rootfsOverlay?: OverlayMount;
  /** The container's volumes, binds and tmpfs mounts (userMountSteps). */
  readonly mounts: readonly MountStep[];
}

/**
 * A process in a private mount namespace holding a stopped container's root with its user
 * mounts on it, each target resolved in the root as for a start (never copied up, no
 * propagation: the mounts serve a copy, not a container). It waits to be killed.
 */
export function encodeMountHoldPlan(plan: MountHoldPlan): NativeOps {
  const ops: NativeOps = [
    ...monitorOps({ detached: false, terminal: false, stdin: false }),
    'clone',
    'mount',
    'mount',
    '',
    '/',
    '',
    'rec,private',
    '',
    ...(plan.rootfsOverlay ? overlayOps(plan.rootfs, plan.rootfsOverlay) : []),
    'rootfs',
    plan.rootfs,
  ];
  for (const m of plan.mounts) {
    ops.push(
      'usermount',
      m.source,
      m.target,
      m.fstype,
      m.flags.join(','),
      m.data ?? '',
      '',
      '0',
      m.targetType === 'file' ? '1' : '0',
    );
  }
  ops.push('hold');
  return ops;
}
