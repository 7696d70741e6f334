import { posix } from 'node:path';
import {
  bytes,
  InvalidValueError,
  type IdMapping,
  type TimeOffsets,
  nanoCpus,
  type DeviceNode,
  type DeviceRule,
  type NamespaceKind,
  type ResourceLimits,
  type Rlimit,
} from '@koker/core';
import { CAPABILITIES } from '../launch/capabilities.js';
import { rlimit } from '../launch/rlimits.js';
import { parseIdMappings, parseTimeOffsets } from './namespace-settings.js';
import { SpecReader, UnsupportedFieldError } from './spec-reader.js';

/** A namespace of linux.namespaces: made new, or joined by its path. */
export interface SpecNamespace {
  readonly kind: NamespaceKind;
  readonly path?: string;
}

export interface SpecMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

export interface SpecHook {
  readonly path: string;
  readonly args: readonly string[];
  readonly env: readonly string[];
  /** Seconds. */
  readonly timeout?: number;
}

export interface SpecHooks {
  readonly prestart: readonly SpecHook[];
  readonly createRuntime: readonly SpecHook[];
  readonly createContainer: readonly SpecHook[];
  readonly startContainer: readonly SpecHook[];
  readonly poststart: readonly SpecHook[];
  readonly poststop: readonly SpecHook[];
}

export interface SpecCapabilities {
  readonly bounding: readonly string[];
  readonly effective: readonly string[];
  readonly permitted: readonly string[];
  readonly inheritable: readonly string[];
  readonly ambient: readonly string[];
}

export interface SpecProcess {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  readonly umask?: number;
  readonly terminal: boolean;
  readonly consoleSize?: { readonly rows: number; readonly columns: number };
  readonly capabilities: SpecCapabilities;
  readonly rlimits: readonly Rlimit[];
  readonly noNewPrivileges: boolean;
  readonly oomScoreAdj?: number;
}

/** `cgroupsPath`, as a parent and the container's own cgroup name under it. */
export interface SpecCgroupPath {
  readonly parent: string;
  readonly name: string;
}

export interface SpecLinux {
  readonly namespaces: readonly SpecNamespace[];
  readonly devices: readonly DeviceNode[];
  readonly cgroupsPath?: string;
  readonly resources: ResourceLimits;
  readonly deviceRules: readonly DeviceRule[];
  readonly rootfsPropagation?: string;
  /** linux.seccomp as JSON text in the profile format koker compiles (Docker's is a superset). */
  readonly seccomp?: string;
  readonly sysctl: Readonly<Record<string, string>>;
  readonly maskedPaths: readonly string[];
  readonly readonlyPaths: readonly string[];
  /** A new user namespace's maps (runc writes none without them: they are required then). */
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
  readonly timeOffsets?: TimeOffsets;
}

/** config.json (runtime-spec 1.x) as koker-runtime understands it: every value typed. */
export interface RuntimeConfig {
  readonly ociVersion: string;
  /** Absolute: a relative root.path is resolved against the bundle. */
  readonly root: { readonly path: string; readonly readonly: boolean };
  readonly process?: SpecProcess;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly mounts: readonly SpecMount[];
  readonly hooks: SpecHooks;
  readonly annotations: Readonly<Record<string, string>>;
  readonly linux: SpecLinux;
}

const NAMESPACE_KINDS: Readonly<Record<string, NamespaceKind>> = {
  pid: 'pid',
  network: 'net',
  mount: 'mount',
  ipc: 'ipc',
  uts: 'uts',
  cgroup: 'cgroup',
  user: 'user',
  time: 'time',
};

function absolute(path: string, field: string): string {
  if (!path.startsWith('/'))
    throw new InvalidValueError('config.json field', field, `expected an absolute path, got ${path}`);
  return posix.normalize(path);
}

/** `CAP_NET_ADMIN` -> `NET_ADMIN`; one this kernel list does not know is left out, as runc warns and skips it. */
function capabilityList(names: readonly string[] | undefined): string[] {
  return (names ?? [])
    .map((n) => n.toUpperCase().replace(/^CAP_/, ''))
    .filter((n) => (CAPABILITIES as readonly string[]).includes(n));
}

function parseCapabilities(r: SpecReader | undefined): SpecCapabilities {
  const get = (key: string) => capabilityList(r?.strings(key));
  const caps = {
    bounding: get('bounding'),
    effective: get('effective'),
    permitted: get('permitted'),
    inheritable: get('inheritable'),
    ambient: get('ambient'),
  };
  r?.done();
  return caps;
}

function parseRlimit(r: SpecReader): Rlimit {
  const type = r.string('type') ?? '';
  const invalid = (reason: string) => new InvalidValueError('config.json field', r.at('type'), reason);
  const limit = (key: string): number | 'unlimited' => {
    const v = r.number(key);
    if (v === undefined) throw new InvalidValueError('config.json field', r.at(key), 'required');
    // 2^64-1, RLIM_INFINITY, arrives as a float beyond 2^53.
    return v >= 2 ** 63 ? 'unlimited' : v;
  };
  const parsed = rlimit(type.toLowerCase().replace(/^rlimit_/, ''), limit('soft'), limit('hard'), invalid);
  r.done();
  return parsed;
}

function parseProcess(r: SpecReader): SpecProcess {
  const args = r.strings('args') ?? [];
  if (args.length === 0)
    throw new InvalidValueError('config.json field', r.at('args'), 'the command is missing');
  r.unsupported('commandLine', 'a Windows field');
  const user = r.object('user');
  if (!user) throw new InvalidValueError('config.json field', r.at('user'), 'required');
  const uid = user.integer('uid') ?? 0;
  const gid = user.integer('gid') ?? 0;
  const additionalGids = user.integers('additionalGids') ?? [];
  const umask = user.integer('umask');
  user.unsupported('username', 'a Windows field');
  user.done();
  const size = r.object('consoleSize');
  const consoleSize = size
    ? { rows: size.integer('height') ?? 0, columns: size.integer('width') ?? 0 }
    : undefined;
  size?.done();
  const capabilities = parseCapabilities(r.object('capabilities'));
  const rlimits = r.objects('rlimits').map(parseRlimit);
  const cwd = absolute(r.string('cwd') ?? '/', r.at('cwd'));
  const oomScoreAdj = r.integer('oomScoreAdj');
  const process: SpecProcess = {
    args,
    env: r.strings('env') ?? [],
    cwd,
    uid,
    gid,
    additionalGids,
    ...(umask !== undefined ? { umask } : {}),
    terminal: r.boolean('terminal') ?? false,
    ...(consoleSize && consoleSize.rows > 0 && consoleSize.columns > 0 ? { consoleSize } : {}),
    capabilities,
    rlimits,
    noNewPrivileges: r.boolean('noNewPrivileges') ?? false,
    ...(oomScoreAdj !== undefined ? { oomScoreAdj } : {}),
  };
  r.unsupported('apparmorProfile', 'koker has no AppArmor support');
  r.unsupported('selinuxLabel', 'koker has no SELinux support');
  r.unsupported('ioPriority');
  r.unsupported('scheduler');
  r.unsupported('execCPUAffinity');
  r.done();
  return process;
}

function parseMount(r: SpecReader): SpecMount {
  const destination = r.string('destination');
  if (!destination) throw new InvalidValueError('config.json field', r.at('destination'), 'required');
  const mount = {
    destination: absolute(destination, r.at('destination')),
    type: r.string('type') ?? '',
    source: r.string('source') ?? '',
    options: r.strings('options') ?? [],
  };
  r.unsupported('uidMappings', 'koker has no idmapped mounts');
  r.unsupported('gidMappings', 'koker has no idmapped mounts');
  r.done();
  return mount;
}

function parseHook(r: SpecReader): SpecHook {
  const path = r.string('path');
  if (!path) throw new InvalidValueError('config.json field', r.at('path'), 'required');
  const timeout = r.integer('timeout');
  const hook = {
    path: absolute(path, r.at('path')),
    args: r.strings('args') ?? [],
    env: r.strings('env') ?? [],
    ...(timeout !== undefined ? { timeout } : {}),
  };
  r.done();
  return hook;
}

function parseHooks(r: SpecReader | undefined): SpecHooks {
  const hooks = {
    prestart: r?.objects('prestart').map(parseHook) ?? [],
    createRuntime: r?.objects('createRuntime').map(parseHook) ?? [],
    createContainer: r?.objects('createContainer').map(parseHook) ?? [],
    startContainer: r?.objects('startContainer').map(parseHook) ?? [],
    poststart: r?.objects('poststart').map(parseHook) ?? [],
    poststop: r?.objects('poststop').map(parseHook) ?? [],
  };
  r?.done();
  return hooks;
}

function parseNamespace(r: SpecReader): SpecNamespace {
  const type = r.string('type') ?? '';
  const kind = NAMESPACE_KINDS[type];
  if (!kind) throw new InvalidValueError('config.json field', r.at('type'), `unknown namespace ${type}`);
  const path = r.string('path');
  r.done();
  return { kind, ...(path ? { path } : {}) };
}

function parseDevice(r: SpecReader): DeviceNode {
  const type = r.string('type');
  if (type !== 'c' && type !== 'b' && type !== 'u')
    throw new UnsupportedFieldError(
      r.at('type'),
      `device type ${type ?? '(none)'}: koker makes c and b nodes`,
    );
  const node: DeviceNode = {
    path: absolute(r.string('path') ?? '', r.at('path')),
    type: type === 'b' ? 'b' : 'c',
    major: r.integer('major') ?? 0,
    minor: r.integer('minor') ?? 0,
    mode: (r.integer('fileMode') ?? 0o666) & 0o7777,
  };
  // koker makes nodes owned by root (in a user namespace, the host's own nodes are bound).
  if ((r.integer('uid') ?? 0) !== 0)
    throw new UnsupportedFieldError(r.at('uid'), 'device nodes are owned by root');
  if ((r.integer('gid') ?? 0) !== 0)
    throw new UnsupportedFieldError(r.at('gid'), 'device nodes are owned by root');
  r.done();
  return node;
}

function parseDeviceRule(r: SpecReader): DeviceRule {
  const allow = r.boolean('allow') ?? false;
  const type = r.string('type') ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c')
    throw new InvalidValueError('config.json field', r.at('type'), `expected a, b or c, got ${type}`);
  const major = r.integer('major');
  const minor = r.integer('minor');
  const access = r.string('access') || 'rwm';
  if (!/^[rwm]+$/.test(access))
    throw new InvalidValueError('config.json field', r.at('access'), `expected r, w, m: ${access}`);
  r.done();
  return {
    allow,
    type,
    ...(type !== 'a' && major !== undefined && major >= 0 ? { major } : {}),
    ...(type !== 'a' && minor !== undefined && minor >= 0 ? { minor } : {}),
    access: [...'rwm'].filter((a) => access.includes(a)).join(''),
  };
}

/** linux.resources: what koker's cgroup drivers set (memory, cpu, pids, cpuset, devices). */
function parseResources(r: SpecReader | undefined): { limits: ResourceLimits; rules: DeviceRule[] } {
  if (!r) return { limits: {}, rules: [] };
  const rules = r.objects('devices').map(parseDeviceRule);
  const limits: { -readonly [K in keyof ResourceLimits]: ResourceLimits[K] } = {};
  const memory = r.object('memory');
  if (memory) {
    const limit = memory.integer('limit');
    if (limit !== undefined && limit > 0) limits.memory = bytes(limit);
    const reservation = memory.integer('reservation');
    if (reservation !== undefined && reservation > 0) limits.memoryReservation = bytes(reservation);
    // OCI's swap is memory + swap, as Docker's --memory-swap.
    const swap = memory.integer('swap');
    if (swap !== undefined && swap !== 0) limits.memorySwap = swap < 0 ? 'unlimited' : bytes(swap);
    for (const key of ['kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'checkBeforeUpdate'])
      memory.unsupported(key);
    memory.raw('useHierarchy'); // always hierarchical on every kernel koker runs on
    memory.done();
  }
  const cpu = r.object('cpu');
  if (cpu) {
    const shares = cpu.integer('shares');
    if (shares !== undefined && shares > 0) limits.cpuShares = shares;
    const quota = cpu.integer('quota');
    const period = cpu.integer('period') || 100_000;
    if (quota !== undefined && quota > 0) limits.nanoCpus = nanoCpus(Math.round((quota * 1e9) / period));
    const cpus = cpu.string('cpus');
    if (cpus) limits.cpusetCpus = cpus;
    for (const key of ['mems', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle']) cpu.unsupported(key);
    cpu.done();
  }
  const pids = r.object('pids');
  if (pids) {
    const limit = pids.integer('limit');
    if (limit !== undefined && limit !== 0) limits.pidsLimit = limit < 0 ? 'unlimited' : limit;
    pids.done();
  }
  for (const key of ['blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']) r.unsupported(key);
  r.done();
  return { limits, rules };
}

function parseLinux(r: SpecReader | undefined): SpecLinux {
  if (!r) throw new InvalidValueError('config.json field', 'linux', 'required on Linux');
  const namespaces = r.objects('namespaces').map(parseNamespace);
  const devices = r.objects('devices').map(parseDevice);
  const cgroupsPath = r.string('cgroupsPath');
  const { limits, rules } = parseResources(r.object('resources'));
  const rootfsPropagation = r.string('rootfsPropagation');
  const seccompReader = r.object('seccomp');
  const seccomp = seccompReader ? seccompProfile(seccompReader) : undefined;
  const timeOffsets = r.object('timeOffsets');
  const linux: SpecLinux = {
    namespaces,
    devices,
    ...(cgroupsPath ? { cgroupsPath } : {}),
    resources: limits,
    deviceRules: rules,
    ...(rootfsPropagation ? { rootfsPropagation } : {}),
    ...(seccomp !== undefined ? { seccomp } : {}),
    sysctl: r.record('sysctl'),
    maskedPaths: r.strings('maskedPaths') ?? [],
    readonlyPaths: r.strings('readonlyPaths') ?? [],
    uidMappings: parseIdMappings(r, 'uidMappings'),
    gidMappings: parseIdMappings(r, 'gidMappings'),
    ...(timeOffsets ? { timeOffsets: parseTimeOffsets(timeOffsets) } : {}),
  };
  r.unsupported('intelRdt');
  r.unsupported('personality');
  r.unsupported('mountLabel', 'koker has no SELinux support');
  r.unsupported('memoryPolicy');
  r.done();
  return linux;
}

/**
 * linux.seccomp -> the profile text koker's compiler reads (Docker's format, a superset of the
 * OCI one). Notifications need a listener koker has not; the spec-allow flag only relaxes a
 * mitigation, so leaving it out is safe; SECCOMP_FILTER_FLAG_LOG only logs.
 */
function seccompProfile(r: SpecReader): string {
  const flags = r.strings('flags') ?? [];
  for (const flag of flags)
    if (flag !== 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' && flag !== 'SECCOMP_FILTER_FLAG_LOG')
      throw new UnsupportedFieldError(r.at('flags'), `seccomp flag ${flag}`);
  r.unsupported('listenerPath', 'koker has no seccomp notifications');
  r.unsupported('listenerMetadata', 'koker has no seccomp notifications');
  const profile = {
    defaultAction: r.string('defaultAction'),
    defaultErrnoRet: r.integer('defaultErrnoRet'),
    architectures: r.strings('architectures'),
    syscalls: r.raw('syscalls'),
  };
  r.done();
  return JSON.stringify(profile);
}

/** Parses a bundle's config.json text; `bundle` is the directory a relative root.path is in. */
export function parseRuntimeConfig(text: string, bundle: string): RuntimeConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidValueError('config.json', bundle, `not JSON: ${(error as Error).message}`);
  }
  const r = SpecReader.of(json, '');
  const ociVersion = r.string('ociVersion') ?? '';
  if (!/^1\.\d+\.\d+/.test(ociVersion))
    throw new InvalidValueError(
      'config.json field',
      'ociVersion',
      `koker-runtime reads runtime-spec 1.x, not ${ociVersion || '(none)'}`,
    );
  const root = r.object('root');
  const rootPath = root?.string('path');
  if (!root || !rootPath) throw new InvalidValueError('config.json field', 'root.path', 'required');
  const readonly = root.boolean('readonly') ?? false;
  root.done();
  const process = r.object('process');
  const hostname = r.string('hostname');
  const domainname = r.string('domainname');
  const config: RuntimeConfig = {
    ociVersion,
    root: { path: posix.resolve(bundle, rootPath), readonly },
    ...(process ? { process: parseProcess(process) } : {}),
    ...(hostname ? { hostname } : {}),
    ...(domainname ? { domainname } : {}),
    mounts: r.objects('mounts').map(parseMount),
    hooks: parseHooks(r.object('hooks')),
    annotations: r.record('annotations'),
    linux: parseLinux(r.object('linux')),
  };
  for (const key of ['windows', 'solaris', 'vm', 'zos', 'freebsd'])
    r.unsupported(key, 'koker-runtime runs Linux containers');
  r.done();
  return config;
}

/**
 * `cgroupsPath` as a parent and a name. With `--systemd-cgroup`, `slice:prefix:name` is where
 * systemd would put the scope, made on cgroupfs: `system.slice:docker:ID` ->
 * `/system.slice/docker-ID.scope`, `a-b.slice` -> `/a.slice/a-b.slice`. Absent: `/koker-runtime/ID`.
 */
export function parseCgroupsPath(path: string | undefined, id: string, systemd: boolean): SpecCgroupPath {
  if (systemd && path && path.includes(':')) {
    const [slice = '', prefix = '', name = ''] = path.split(':');
    if (path.split(':').length !== 3 || !name)
      throw new InvalidValueError(
        'config.json field',
        'linux.cgroupsPath',
        `expected slice:prefix:name, got ${path}`,
      );
    return {
      parent: expandSlice(slice || 'system.slice'),
      name: prefix ? `${prefix}-${name}.scope` : `${name}.scope`,
    };
  }
  const full = posix.normalize(posix.join('/', path || `koker-runtime/${id}`));
  if (posix.dirname(full) === '/')
    throw new InvalidValueError(
      'config.json field',
      'linux.cgroupsPath',
      `${full}: a container's cgroup goes below a parent, not in the root cgroup`,
    );
  return { parent: posix.dirname(full), name: posix.basename(full) };
}

function expandSlice(slice: string): string {
  if (!slice.endsWith('.slice') || slice.includes('/'))
    throw new InvalidValueError('config.json field', 'linux.cgroupsPath', `not a systemd slice: ${slice}`);
  if (slice === '-.slice') return '/';
  const parts = slice.slice(0, -'.slice'.length).split('-');
  const path: string[] = [];
  for (let i = 1; i <= parts.length; i++) path.push(`${parts.slice(0, i).join('-')}.slice`);
  return `/${path.join('/')}`;
}

/** `exec --process FILE`: a process object as config.json's. */
export function parseProcessSpec(text: string): SpecProcess {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidValueError('process.json', '', `not JSON: ${(error as Error).message}`);
  }
  return parseProcess(SpecReader.of(json, 'process'));
}
