import { hostname as osHostname } from 'node:os';
import {
  type ContainerId,
  InvalidValueError,
  NotFoundError,
  isKokerError,
  NotImplementedError,
  type NamespaceModes,
  UsageError,
  parseContainerName,
  parseDeviceCgroupRule,
  type NetworkMode,
  type PortMapping,
  type SeccompMode,
} from '@koker/core';
import { release } from 'node:os';
import { type Stats } from 'node:fs';
import {
  parseDockerSeccompProfile,
  parseEnvFile,
  parseEnvFlag,
  parseRestartPolicy,
  type RunRequest,
} from '@koker/engine';
import {
  checkHostnameWithUts,
  checkDomainnameWithUts,
  parseGroupAdd,
  parseHealthFlags,
  type HealthFlagValues,
  parseIpcMode,
  parseLabels,
  parseOomScoreAdj,
  parsePidMode,
  parseShmSize,
  parseStopSignal,
  parseStopTimeout,
  parseSysctl,
  parseUlimits,
  parseUtsMode,
  type PendingNamespace,
} from './run-option-flags.js';
import { parseDeviceFlag } from './device-flags.js';
import { limitsFromFlags, type LimitFlags } from './limits-from-flags.js';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, parseVolumesFromFlag } from './mount-flags.js';

/** `run`'s flags as commander hands them over. */
export interface RunFlags extends LimitFlags, HealthFlagValues {
  readonly detach?: boolean;
  readonly rm?: boolean;
  readonly interactive?: boolean;
  readonly tty?: boolean;
  readonly name?: string;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly env?: readonly string[];
  readonly envFile?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly entrypoint?: string;
  readonly publish?: readonly string[];
  /** `--network` (commander names it after its last spelling, `--net`). */
  readonly net?: string;
  readonly network?: string;
  /** `--network-alias` (commander names it after `--net-alias`). */
  readonly netAlias?: readonly string[];
  readonly ip?: string;
  readonly dns?: readonly string[];
  readonly dnsSearch?: readonly string[];
  /** `--dns-option` (commander names it after `--dns-opt`). */
  readonly dnsOpt?: readonly string[];
  readonly addHost?: readonly string[];
  readonly readOnly?: boolean;
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  readonly privileged?: boolean;
  readonly securityOpt?: readonly string[];
  readonly deviceCgroupRule?: readonly string[];
  readonly device?: readonly string[];
  readonly init?: boolean;
  readonly volume?: readonly string[];
  readonly mount?: readonly string[];
  readonly tmpfs?: readonly string[];
  readonly volumesFrom?: readonly string[];
  readonly label?: readonly string[];
  readonly labelFile?: readonly string[];
  readonly ulimit?: readonly string[];
  readonly groupAdd?: readonly string[];
  readonly stopTimeout?: string;
  readonly stopSignal?: string;
  readonly shmSize?: string;
  readonly sysctl?: readonly string[];
  readonly oomScoreAdj?: string;
  readonly uts?: string;
  readonly pid?: string;
  readonly ipc?: string;
  readonly restart?: string;
}

export interface RunFlagContext {
  /** The host's hostname (a container on `--network host` gets it, as with Docker). */
  readonly hostHostname?: () => string;
  /** `--pid/--ipc container:NAME`: the IDs those names resolved to (see containerRefs). */
  readonly containers?: ReadonlyMap<string, ContainerId>;
  readonly hostEnv: NodeJS.ProcessEnv;
  /**
   * Reads a file a flag names (--env-file, a seccomp profile): bounded, regular files only
   * (readInputFile of @koker/host); `what` names it in messages.
   */
  readonly readFile: (path: string, what: string) => string;
  /** Turns `-p` values into mappings (the network package's parser). */
  readonly parsePorts?: (values: readonly string[], mode: NetworkMode) => PortMapping[];
  /** Looks at a `--device` host path (tests pass a fake). */
  readonly statDevice?: (path: string) => Stats;
}

const NETWORK_MODES: readonly NetworkMode[] = ['bridge', 'none', 'host'];
/** A network's name or ID, as `network create` accepts them. */
const USER_NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// A hostname the kernel takes (64 bytes at most) and resolvers accept (RFC 1123 labels).
const HOSTNAME =
  /^(?=.{1,64}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * `--security-opt`: no-new-privileges, seccomp=unconfined (no filter) or a profile file in
 * Docker's format (the default is koker's profile), and the AppArmor/SELinux settings that mean what koker does anyway.
 */
export function parseSecurityOptions(
  values: readonly string[],
  readFile: (path: string, what: string) => string = () => {
    throw new Error('no file reader');
  },
): {
  noNewPrivileges: boolean;
  seccomp: SeccompMode;
} {
  let noNewPrivileges = false;
  let seccomp: SeccompMode = 'default';
  for (const value of values) {
    const [key = '', setting] = value.split(/[=:](.*)/s, 2);
    if (key === 'no-new-privileges') {
      if (setting === undefined || setting === 'true') noNewPrivileges = true;
      else if (setting === 'false') noNewPrivileges = false;
      else throw new InvalidValueError('security option', value, 'no-new-privileges takes true or false');
    } else if (key === 'seccomp') {
      if (setting === 'unconfined') seccomp = 'unconfined';
      else if (!setting)
        throw new InvalidValueError(
          'security option',
          value,
          'give seccomp=unconfined or seccomp=PROFILE.json',
        );
      else {
        const profile = readFlagFile(readFile, setting, 'seccomp profile');
        // Refused now (exit 125) rather than when the container starts.
        parseDockerSeccompProfile(profile, release());
        seccomp = { profile };
      }
    } else if (
      (key === 'apparmor' && setting === 'unconfined') ||
      (key === 'label' && setting === 'disable')
    ) {
      // koker applies no AppArmor or SELinux profile: unconfined is what it does.
    } else {
      throw new InvalidValueError('security option', value, `unknown option ${key}`, {
        hint: 'koker supports no-new-privileges[:true|false], seccomp=unconfined|PROFILE.json, apparmor=unconfined and label=disable',
      });
    }
  }
  return { noNewPrivileges, seccomp };
}

/**
 * `--network container:NAME` shares that container's network, names and files: Docker refuses
 * the flags that would change them.
 */
function refuseWithContainerNetwork(joined: string, flags: RunFlags): void {
  if (joined === '')
    throw new InvalidValueError('network', 'container:', 'name the container, container:NAME');
  const conflicts: [boolean, string][] = [
    [flags.hostname !== undefined, 'hostname'],
    [(flags.publish ?? []).length > 0, 'port publishing'],
    [
      (flags.dns ?? []).length > 0 || (flags.dnsSearch ?? []).length > 0 || (flags.dnsOpt ?? []).length > 0,
      'dns',
    ],
    [(flags.addHost ?? []).length > 0, 'custom host-to-IP mapping'],
    [(flags.netAlias ?? []).length > 0 || flags.ip !== undefined, 'network alias and IP'],
  ];
  const conflict = conflicts.find(([given]) => given);
  if (conflict)
    throw new InvalidValueError(
      'network',
      `container:${joined}`,
      `conflicting options: ${conflict[1]} and the container type network mode`,
    );
}

/** `--add-host NAME:IP` (the IP may hold colons: IPv6); the driver checks both parts. */
function parseAddHost(value: string): { name: string; ip: string } {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1)
    throw new InvalidValueError('--add-host', value, 'expected NAME:IP or NAME:host-gateway');
  return { name: value.slice(0, colon), ip: value.slice(colon + 1) };
}

/**
 * `--env-file` entries, then `-e` ones (`KEY` alone takes koker's own value), as `run`, `create`
 * and `exec` take them: the later one of a name wins.
 */
export function envFromFlags(
  flags: { readonly env?: readonly string[]; readonly envFile?: readonly string[] },
  context: Pick<RunFlagContext, 'readFile' | 'hostEnv'>,
): string[] {
  const fromFiles = (flags.envFile ?? []).flatMap((file) =>
    parseEnvFile(readFlagFile(context.readFile, file, 'env file'), file, context.hostEnv),
  );
  const fromFlags = (flags.env ?? [])
    .map((entry) => parseEnvFlag(entry, context.hostEnv))
    .filter((e): e is string => e !== undefined);
  return [...fromFiles, ...fromFlags];
}

/** A flag's file through the reader; a failure that is not already koker's says which file. */
function readFlagFile(readFile: RunFlagContext['readFile'], path: string, what: string): string {
  try {
    return readFile(path, what);
  } catch (error) {
    if (isKokerError(error)) throw error;
    throw new InvalidValueError(what, path, (error as Error).message);
  }
}

/** Docker's flags to a RunRequest: every value parsed, files read, conflicts refused. */
export function runRequestFromFlags(
  image: string,
  args: readonly string[],
  flags: RunFlags,
  context: RunFlagContext,
): RunRequest {
  const networkFlag = flags.network ?? flags.net ?? 'bridge';
  const joined = networkFlag.startsWith('container:') ? networkFlag.slice('container:'.length) : undefined;
  if (joined !== undefined) refuseWithContainerNetwork(joined, flags);
  // Anything but a mode names a user network, on the bridge (the driver finds it, or says none).
  const userNetwork =
    joined !== undefined || NETWORK_MODES.includes(networkFlag as NetworkMode) ? undefined : networkFlag;
  const mode: NetworkMode =
    joined !== undefined ? 'container' : userNetwork === undefined ? (networkFlag as NetworkMode) : 'bridge';
  if (userNetwork !== undefined && !USER_NETWORK.test(userNetwork))
    throw new InvalidValueError(
      'network',
      userNetwork,
      'use bridge, none, host or the name or ID of a network',
    );
  if (flags.hostname !== undefined && !HOSTNAME.test(flags.hostname))
    throw new InvalidValueError(
      'hostname',
      flags.hostname,
      'use letters, digits, "-" and "." (at most 64 characters)',
    );
  const publish = flags.publish ?? [];
  if (publish.length > 0 && !context.parsePorts) throw new NotImplementedError('-p/--publish');
  const ports = publish.length > 0 && context.parsePorts ? context.parsePorts(publish, mode) : [];
  const security = parseSecurityOptions(flags.securityOpt ?? [], context.readFile);
  const mounts = [
    ...(flags.volume ?? []).map(parseVolumeFlag),
    ...(flags.mount ?? []).map(parseMountFlag),
    ...(flags.tmpfs ?? []).map(parseTmpfsFlag),
  ];
  const namespaces = namespaceModes(flags, context.containers ?? new Map());
  checkHostnameWithUts(flags.hostname, namespaces.uts);
  checkDomainnameWithUts(flags.domainname, namespaces.uts);
  if (flags.domainname !== undefined && !HOSTNAME.test(flags.domainname))
    throw new InvalidValueError(
      'domainname',
      flags.domainname,
      'use letters, digits, "-" and "." (at most 64 characters)',
    );
  const labels =
    (flags.label?.length ?? 0) + (flags.labelFile?.length ?? 0) > 0
      ? parseLabels(flags.label ?? [], flags.labelFile ?? [], (path) =>
          readFlagFile(context.readFile, path, '--label-file'),
        )
      : undefined;
  const sysctls = (flags.sysctl ?? []).map((entry) =>
    parseSysctl(entry, {
      network: mode,
      ipcHost: namespaces.ipc === 'host',
      utsHost: namespaces.uts === 'host',
    }),
  );
  const restartPolicy = flags.restart !== undefined ? parseRestartPolicy(flags.restart) : undefined;
  if (restartPolicy && restartPolicy.name !== 'no' && flags.rm)
    throw new UsageError('conflicting options: --restart and --rm', {
      hint: 'a container removed when it exits cannot be restarted: give only one of them',
    });
  return {
    image,
    ...(flags.name !== undefined ? { name: parseContainerName(flags.name) } : {}),
    ...(flags.hostname !== undefined
      ? { hostname: flags.hostname }
      : mode === 'host'
        ? { hostname: context.hostHostname?.() ?? osHostname() }
        : {}),
    ...(flags.domainname !== undefined ? { domainname: flags.domainname } : {}),
    process: {
      ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint } : {}),
      args: [...args],
      env: envFromFlags(flags, context),
      ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
      ...(flags.user !== undefined ? { user: flags.user } : {}),
      tty: flags.tty ?? false,
      interactive: flags.interactive ?? false,
      capAdd: flags.capAdd ?? [],
      capDrop: flags.capDrop ?? [],
      privileged: flags.privileged ?? false,
      noNewPrivileges: security.noNewPrivileges,
      ...(security.seccomp !== 'default' ? { seccomp: security.seccomp } : {}),
      ...(flags.ulimit?.length ? { rlimits: parseUlimits(flags.ulimit) } : {}),
      ...(flags.groupAdd?.length ? { groupAdd: flags.groupAdd.map(parseGroupAdd) } : {}),
    },
    limits: limitsFromFlags(flags),
    network: {
      mode,
      ports,
      dns: [...(flags.dns ?? [])],
      ...(userNetwork !== undefined ? { network: userNetwork } : {}),
      ...(joined !== undefined ? { container: joined } : {}),
      ...(flags.netAlias?.length ? { aliases: [...flags.netAlias] } : {}),
      ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
      ...(flags.dnsSearch?.length ? { dnsSearch: [...flags.dnsSearch] } : {}),
      ...(flags.dnsOpt?.length ? { dnsOptions: [...flags.dnsOpt] } : {}),
      ...(flags.addHost?.length ? { extraHosts: flags.addHost.map(parseAddHost) } : {}),
    },
    readOnlyRootfs: flags.readOnly ?? false,
    ...(flags.device?.length
      ? { devices: flags.device.map((d) => parseDeviceFlag(d, context.statDevice)) }
      : {}),
    ...(flags.deviceCgroupRule?.length
      ? { deviceCgroupRules: flags.deviceCgroupRule.map(parseDeviceCgroupRule) }
      : {}),
    init: flags.init ?? false,
    ...(mounts.length > 0 ? { mounts } : {}),
    ...(flags.volumesFrom?.length ? { volumesFrom: flags.volumesFrom.map(parseVolumesFromFlag) } : {}),
    autoRemove: flags.rm ?? false,
    ...(labels ? { labels } : {}),
    ...(flags.stopSignal !== undefined ? { stopSignal: parseStopSignal(flags.stopSignal) } : {}),
    ...(flags.stopTimeout !== undefined ? { stopTimeout: parseStopTimeout(flags.stopTimeout) } : {}),
    ...(restartPolicy && restartPolicy.name !== 'no' ? { restartPolicy } : {}),
    ...(flags.shmSize !== undefined ? { shmSize: parseShmSize(flags.shmSize) } : {}),
    ...(sysctls.length > 0 ? { sysctls: Object.fromEntries(sysctls.map((s) => [s.name, s.value])) } : {}),
    ...(flags.oomScoreAdj !== undefined ? { oomScoreAdj: parseOomScoreAdj(flags.oomScoreAdj) } : {}),
    ...(Object.keys(namespaces).length > 0 ? { namespaces } : {}),
    ...healthOf(flags),
  };
}

function healthOf(flags: RunFlags): Pick<RunRequest, 'health'> {
  const health = parseHealthFlags(flags);
  return Object.keys(health).length > 0 ? { health } : {};
}

/** The names given to `--pid/--ipc container:NAME`, for the caller to resolve before parsing. */
export function containerRefs(flags: RunFlags): string[] {
  const refs: string[] = [];
  for (const mode of [parsePidMode(flags.pid ?? ''), parseIpcMode(flags.ipc ?? '')])
    if (typeof mode === 'object') refs.push(mode.containerRef);
  return refs;
}

function namespaceModes(flags: RunFlags, containers: ReadonlyMap<string, ContainerId>): NamespaceModes {
  const resolve = <T extends string>(mode: PendingNamespace<T> | undefined) => {
    if (typeof mode !== 'object') return mode;
    const id = containers.get(mode.containerRef);
    if (!id) throw new NotFoundError(`no such container: ${mode.containerRef}`);
    return { container: id };
  };
  const uts = parseUtsMode(flags.uts ?? '');
  const pid = resolve(parsePidMode(flags.pid ?? ''));
  const ipc = resolve(parseIpcMode(flags.ipc ?? ''));
  return {
    ...(uts ? { uts } : {}),
    ...(pid ? { pid } : {}),
    ...(ipc && ipc !== 'private' ? { ipc } : {}),
  };
}
