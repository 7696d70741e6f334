import { execFileSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import {
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConflictError,
  InvalidValueError,
  NotFoundError,
  type CgroupPlacement,
  type ExecPlan,
  type IdMapping,
  type LaunchedProcess,
  type ProcessSpec,
} from '@koker/core';
import {
  bundleDeviceRules,
  bundleDevices,
  bundleLaunchPlan,
  EXEC_NAMESPACES,
  launchHooks,
  parseCgroupsPath,
  parseProcessSpec,
  parseRuntimeConfig,
  processSpec,
  type RuntimeConfig,
} from '@koker/engine';
import { runHooks } from './runtime-hooks.js';
import { cgroupName, type RuntimeServices } from './runtime-services.js';
import { processStartTime, writePidFile, type RuntimeRecord, type RuntimeStatus } from './runtime-store.js';

export const OCI_VERSION = '1.2.0';

export interface CreateOptions {
  readonly bundle?: string;
  readonly pidFile?: string;
  readonly consoleSocket?: string;
  readonly preserveFds?: string;
}

/** The OCI state of a container, as `state` prints it. */
export interface OciState {
  readonly ociVersion: string;
  readonly id: string;
  readonly status: RuntimeStatus;
  readonly pid: number;
  readonly bundle: string;
  readonly rootfs: string;
  readonly created: string;
  readonly owner: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

function readBundle(bundle: string): { text: string; config: RuntimeConfig } {
  const path = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new NotFoundError(`JSON specification file config.json not found in ${bundle}`, { cause: error });
  }
  return { text, config: parseRuntimeConfig(text, bundle) };
}

export async function status(services: RuntimeServices, record: RuntimeRecord): Promise<RuntimeStatus> {
  const base = services.store.baseStatus(record);
  if (base !== 'running') return base;
  const resources = await services.resources(record.cgroup);
  return (await resources.paused(cgroupName(record.cgroup)).catch(() => false)) ? 'paused' : 'running';
}

export async function ociState(services: RuntimeServices, record: RuntimeRecord): Promise<OciState> {
  const now = await status(services, record);
  const config = parseRuntimeConfig(services.store.config(record.id), record.bundle);
  return {
    ociVersion: record.ociVersion,
    id: record.id,
    status: now,
    pid: now === 'stopped' ? 0 : record.pid,
    bundle: record.bundle,
    rootfs: config.root.path,
    created: record.created,
    owner: '',
    ...(Object.keys(record.annotations).length > 0 ? { annotations: record.annotations } : {}),
  };
}

/**
 * The fds `create` passes on from 3: systemd's socket-activation fds first (LISTEN_FDS, when
 * they are this process's), then `--preserve-fds` N more, as runc does; the container's process
 * is told of the activation ones by LISTEN_FDS and LISTEN_PID=1.
 */
export function passedFds(
  preserveFds: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): { count: number; env: string[] } {
  const text = preserveFds ?? '0';
  if (!/^\d+$/.test(text))
    throw new InvalidValueError('--preserve-fds', text, 'expected a number of file descriptors');
  const preserve = Number(text);
  const listen =
    env.LISTEN_PID === String(pid) && /^\d+$/.test(env.LISTEN_FDS ?? '') ? Number(env.LISTEN_FDS) : 0;
  return {
    count: listen + preserve,
    env: listen > 0 ? [`LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] : [],
  };
}

/** The host's ids of the container's root, which opens exec.fifo in a new user namespace (runc chowns it too). */
function containerRoot(config: RuntimeConfig): { uid: number; gid: number } | undefined {
  if (!config.linux.namespaces.some((n) => n.kind === 'user' && n.path === undefined)) return undefined;
  const host = (mappings: readonly IdMapping[]) =>
    mappings.find((m) => m.containerId === 0)?.hostId ?? mappings[0]?.hostId ?? 0;
  return { uid: host(config.linux.uidMappings), gid: host(config.linux.gidMappings) };
}

/**
 * `create`: the container's process set up and waiting before its execve (on exec.fifo) in its
 * cgroups, the pid file written; the helper leaves, so the caller adopts the process.
 */
/**
 * `create`, or with `foreground` the first half of `run`: the command started at once under
 * koker-init's monitor, which stays this process's child and reports its exit status.
 */
export async function create(
  services: RuntimeServices,
  id: string,
  options: CreateOptions,
  foreground = false,
): Promise<{ record: RuntimeRecord; launched: LaunchedProcess }> {
  const passed = passedFds(options.preserveFds);
  const bundle = resolve(options.bundle ?? '.');
  const { text, config } = readBundle(bundle);
  const cgroup = parseCgroupsPath(config.linux.cgroupsPath, id, services.globals.systemdCgroup);
  const hooks = launchHooks(config.hooks, {
    ociVersion: config.ociVersion,
    id,
    bundle,
    annotations: config.annotations,
  });
  // Translated before anything is made (a refused field leaves nothing), again with the cgroups.
  const planWith = (cgroups?: CgroupPlacement) => {
    const translated = bundleLaunchPlan(config, id, {
      cgroupLayout: services.host.cgroupLayout,
      isFile: (p) => services.isFile(p),
      timeNamespaces: services.isNamespace('time'),
      ...(cgroups ? { cgroups } : {}),
    });
    return {
      ...translated,
      ...(hooks ? { hooks } : {}),
      process: { ...translated.process, env: [...translated.process.env, ...passed.env] },
    };
  };
  const base = planWith();
  if (base.process.terminal && !options.consoleSocket && !foreground)
    throw new InvalidValueError(
      '--console-socket',
      '',
      'cannot allocate tty if runc will detach without setting console socket',
    );
  const dir = services.store.claim(id, !foreground, containerRoot(config));
  const resources = await services.resources(cgroup);
  const name = cgroupName(cgroup);
  let created = false;
  try {
    const placement = await resources.create(
      name,
      config.linux.resources,
      bundleDeviceRules(config, bundleDevices(config)),
    );
    const size = config.process?.consoleSize;
    const launched = await services.launcher().start(
      { ...planWith(placement), cgroups: placement },
      {
        stdio: ['inherit', 'inherit', 'inherit'],
        ...(passed.count > 0 ? { passFds: passed.count } : {}),
        ...(foreground
          ? {}
          : {
              handoff: {
                startFifo: services.store.fifo(id),
                ...(options.consoleSocket ? { consoleSocket: resolve(options.consoleSocket) } : {}),
                ...(size ? { consoleSize: { rows: size.rows, columns: size.columns } } : {}),
              },
            }),
      },
    );
    // Handed off, the helper's monitor leaves now; in the foreground it stays until the end.
    if (!foreground) await launched.wait();
    // In the foreground a quick command may be over already: its status is the monitor's to tell.
    const startTime = processStartTime(launched.pid) ?? (foreground ? 'ended' : undefined);
    if (startTime === undefined) throw new ConflictError('the container process ended before it was started');
    const record: RuntimeRecord = {
      id,
      pid: launched.pid,
      startTime,
      bundle,
      created: new Date().toISOString(),
      ociVersion: config.ociVersion,
      annotations: config.annotations,
      cgroup,
      systemdCgroup: services.globals.systemdCgroup,
    };
    services.store.save(record, text);
    if (options.pidFile) writePidFile(resolve(options.pidFile), launched.pid);
    created = true;
    services.log.debug({ id, hostPid: launched.pid, dir }, 'Container created');
    return { record, launched };
  } finally {
    if (!created) {
      await resources.destroy(name).catch(() => undefined);
      services.store.remove(id);
    }
  }
}

/** `start`: the byte the waiting process reads on exec.fifo; then it execs its command. */
export async function start(services: RuntimeServices, id: string): Promise<void> {
  const record = services.store.load(id);
  const now = await status(services, record);
  if (now === 'stopped') throw new ConflictError('cannot start a container that has stopped');
  if (now !== 'created') throw new ConflictError('cannot start an already running container');
  const fifo = services.store.fifo(id);
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENXIO')
      throw new ConflictError('cannot start a container that has stopped');
    throw error;
  }
  try {
    writeSync(fd, '0');
  } finally {
    closeSync(fd);
  }
  unlinkSync(fifo);
  const config = parseRuntimeConfig(services.store.config(id), record.bundle);
  await poststart(services, record, config, async () => {
    await kill(services, id, 'KILL', false);
    await waitStopped(record, 5000);
  });
}

/**
 * poststart: a failure kills the container and fails the command, as runc does (the
 * runtime-spec says warn and go on; engines go by runc: the failed command's status, no
 * container left running that they counted as failed).
 */
async function poststart(
  services: RuntimeServices,
  record: RuntimeRecord,
  config: RuntimeConfig,
  killContainer: () => Promise<unknown>,
): Promise<void> {
  try {
    await runHooks('poststart', config.hooks.poststart, await ociState(services, record), services.log);
  } catch (error) {
    services.log.debug({ id: record.id }, 'Kill the container after its poststart hook failed');
    await killContainer().catch(() => undefined);
    throw error;
  }
}

const SIGNALS = osConstants.signals as Readonly<Record<string, number>>;

/** `KILL`, `SIGKILL`, `9` -> 9, as runc reads them. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n <= 64) return n;
  }
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  const n = SIGNALS[name];
  if (n === undefined) throw new InvalidValueError('signal', text, 'unknown signal');
  return n;
}

async function pidsOf(services: RuntimeServices, record: RuntimeRecord): Promise<number[]> {
  const resources = await services.resources(record.cgroup);
  const placement = await resources.placement(cgroupName(record.cgroup)).catch(() => undefined);
  const file = placement?.procsFiles[0];
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function kill(
  services: RuntimeServices,
  id: string,
  signalText: string,
  all: boolean,
): Promise<void> {
  const record = services.store.load(id);
  const signal = parseSignal(signalText);
  const now = await status(services, record);
  if (now === 'stopped' && !all) throw new ConflictError('container not running');
  const targets = all ? await pidsOf(services, record) : [record.pid];
  for (const pid of targets) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  // A frozen process acts on a signal only once thawed (runc does the same for SIGKILL).
  if (now === 'paused' && signal === SIGNALS.SIGKILL)
    await (await services.resources(record.cgroup)).resume(cgroupName(record.cgroup));
}

async function waitStopped(record: RuntimeRecord, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (processStartTime(record.pid) !== record.startTime) return true;
    await sleep(20);
  }
  return false;
}

export async function deleteContainer(services: RuntimeServices, id: string, force: boolean): Promise<void> {
  let record: RuntimeRecord;
  try {
    record = services.store.load(id);
  } catch (error) {
    // `delete --force` of a container that is gone is done (containerd retries deletes).
    if (force && error instanceof NotFoundError) {
      services.store.remove(id);
      return;
    }
    throw error;
  }
  const now = await status(services, record);
  const resources = await services.resources(record.cgroup);
  const name = cgroupName(record.cgroup);
  if (now === 'running' || now === 'paused') {
    if (!force) throw new ConflictError(`cannot delete container ${id} that is not stopped: ${now}`);
  }
  if (now !== 'stopped') {
    if (now === 'paused') await resources.resume(name).catch(() => undefined);
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
    await waitStopped(record, 10_000);
  }
  await resources.destroy(name);
  const config = (() => {
    try {
      return parseRuntimeConfig(services.store.config(id), record.bundle);
    } catch {
      return undefined;
    }
  })();
  services.store.remove(id);
  if (config) {
    const state = {
      ociVersion: record.ociVersion,
      id,
      status: 'stopped',
      pid: 0,
      bundle: record.bundle,
      annotations: record.annotations,
    };
    await runHooks('poststop', config.hooks.poststop, state, services.log).catch((error: Error) =>
      services.log.warn({ id }, error.message),
    );
  }
}

export async function pause(services: RuntimeServices, id: string, paused: boolean): Promise<void> {
  const record = services.store.load(id);
  const now = await status(services, record);
  if (paused && now !== 'running') throw new ConflictError(`container not running`);
  if (!paused && now !== 'paused') throw new ConflictError(`container not paused`);
  const resources = await services.resources(record.cgroup);
  if (paused) await resources.pause(cgroupName(record.cgroup));
  else await resources.resume(cgroupName(record.cgroup));
}

export async function ps(
  services: RuntimeServices,
  id: string,
  format: string,
  psArgs: readonly string[],
): Promise<string> {
  const record = services.store.load(id);
  const pids = await pidsOf(services, record);
  if (format === 'json') return `${JSON.stringify(pids)}\n`;
  const table = execFileSync('ps', psArgs.length > 0 ? [...psArgs] : ['-ef'], { encoding: 'utf8' }).split(
    '\n',
  );
  const header = table[0] ?? '';
  const column = header.trim().split(/\s+/).indexOf('PID');
  const lines = table.slice(1).filter((line) => pids.includes(Number(line.trim().split(/\s+/)[column])));
  return `${[header, ...lines].join('\n')}\n`;
}

export interface ExecOptions {
  readonly process?: string;
  readonly detach?: boolean;
  readonly pidFile?: string;
  readonly tty?: boolean;
  readonly consoleSocket?: string;
  readonly cwd?: string;
  readonly env?: readonly string[];
  readonly user?: string;
  readonly cap?: readonly string[];
  readonly noNewPrivs?: boolean;
  readonly preserveFds?: string;
}

function execProcess(config: RuntimeConfig, args: readonly string[], options: ExecOptions): ProcessSpec {
  const seccomp = config.linux.seccomp;
  if (options.process) return processSpec(parseProcessSpec(readFileSync(options.process, 'utf8')), seccomp);
  if (!config.process) throw new InvalidValueError('config.json field', 'process', 'required');
  if (args.length === 0) throw new InvalidValueError('exec', '', 'exec args cannot be empty');
  const base = processSpec(config.process, seccomp);
  const [uid, gid] = (options.user ?? '').split(':');
  const caps = (options.cap ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  const add = (set: readonly string[]) => [...set, ...caps.filter((c) => !set.includes(c))];
  return {
    ...base,
    args,
    env: [...base.env, ...(options.env ?? [])],
    cwd: options.cwd ?? base.cwd,
    terminal: options.tty ?? false,
    ...(uid ? { uid: Number(uid), gid: gid ? Number(gid) : 0 } : {}),
    capabilities: add(base.capabilities),
    ...(base.capabilitySets
      ? {
          capabilitySets: {
            effective: add(base.capabilitySets.effective),
            permitted: add(base.capabilitySets.permitted),
            inheritable: add(base.capabilitySets.inheritable),
            ambient: base.capabilitySets.ambient,
          },
        }
      : {}),
    noNewPrivileges: options.noNewPrivs || base.noNewPrivileges,
  };
}

/** `exec`: a process that joins the container's namespaces and cgroups; its exit status, or 0 detached. */
export async function exec(
  services: RuntimeServices,
  id: string,
  args: readonly string[],
  options: ExecOptions,
): Promise<number> {
  const record = services.store.load(id);
  const now = await status(services, record);
  if (now !== 'running') throw new ConflictError(`cannot exec in a ${now} container`);
  const config = parseRuntimeConfig(services.store.config(id), record.bundle);
  const proc = execProcess(config, args, options);
  if (proc.terminal && options.detach && !options.consoleSocket)
    throw new InvalidValueError(
      '--console-socket',
      '',
      'cannot allocate tty if runc will detach without setting console socket',
    );
  const kinds = new Set(config.linux.namespaces.map((n) => n.kind));
  const resources = await services.resources(record.cgroup);
  const plan: ExecPlan = {
    id: bundleLaunchPlan(config, id, { isFile: () => false }).id,
    // The user namespace first (its root joins the others), the time namespace as well.
    joinNamespaces: (['user', ...EXEC_NAMESPACES, 'time'] as const)
      .filter((k) => kinds.has(k))
      .map((kind) => ({
        kind,
        path: `/proc/${record.pid}/ns/${kind === 'mount' ? 'mnt' : kind}`,
      })),
    cgroups: await resources.placement(cgroupName(record.cgroup)),
    process: proc,
  };
  const passed = passedFds(options.preserveFds, {});
  const launched = await services.launcher().exec(plan, {
    stdio: ['inherit', 'inherit', 'inherit'],
    ...(passed.count > 0 ? { passFds: passed.count } : {}),
    ...(options.detach
      ? { handoff: options.consoleSocket ? { consoleSocket: resolve(options.consoleSocket) } : {} }
      : {}),
  });
  if (options.pidFile) writePidFile(resolve(options.pidFile), launched.pid);
  const ended = await launched.wait();
  if (options.detach) return 0;
  return 'code' in ended ? ended.code : 128 + ended.signal;
}

/** Signals `run` passes on to the container, as runc's foreground run forwards them. */
const FORWARDED: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

/**
 * `run`: detached, create then start; otherwise the command runs under koker-init's monitor
 * (a `-t` terminal copied to this process's stdio), and its exit status is `run`'s, after the
 * container is deleted.
 */
export async function run(
  services: RuntimeServices,
  id: string,
  options: CreateOptions & { detach?: boolean },
): Promise<number> {
  if (options.detach) {
    await create(services, id, options);
    await start(services, id);
    return 0;
  }
  const { record, launched } = await create(services, id, options, true);
  const forward = (signal: NodeJS.Signals) => launched.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    const config = parseRuntimeConfig(services.store.config(id), record.bundle);
    await poststart(services, record, config, async () => {
      launched.kill('SIGKILL');
      await launched.wait();
    });
    const ended = await launched.wait();
    return 'code' in ended ? ended.code : 128 + ended.signal;
  } finally {
    for (const signal of FORWARDED) process.off(signal, forward);
    await deleteContainer(services, id, true);
  }
}

export function writeSpec(bundle: string): void {
  const path = join(bundle, 'config.json');
  if (existsSync(path)) throw new ConflictError('File config.json exists. Remove it first.');
  writeFileSync(path, `${JSON.stringify(defaultSpec(), null, '\t')}\n`);
}

/** runc's `spec`: a busybox-style bundle with runc's defaults. */
export function defaultSpec(): object {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
      ],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export function features(): object {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [
      'async',
      'atime',
      'bind',
      'defaults',
      'dev',
      'diratime',
      'dirsync',
      'exec',
      'loud',
      'mand',
      'noatime',
      'nodev',
      'nodiratime',
      'noexec',
      'nomand',
      'norelatime',
      'nostrictatime',
      'nosuid',
      'private',
      'rbind',
      'relatime',
      'rprivate',
      'rshared',
      'rslave',
      'runbindable',
      'ro',
      'rw',
      'shared',
      'silent',
      'slave',
      'strictatime',
      'suid',
      'sync',
      'unbindable',
    ],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: [
          'SCMP_ACT_ALLOW',
          'SCMP_ACT_ERRNO',
          'SCMP_ACT_KILL',
          'SCMP_ACT_KILL_PROCESS',
          'SCMP_ACT_KILL_THREAD',
          'SCMP_ACT_TRAP',
          'SCMP_ACT_TRACE',
          'SCMP_ACT_LOG',
        ],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'io.github.koker.runtime': 'koker-runtime' },
  };
}
