import { ApiError } from '@koker/api-server';
import { type LimitFlags } from '../run/limits-from-flags.js';
import { type RunFlags } from '../run/run-request.js';

/** The parts of Docker's create body koker reads (ContainerConfig + HostConfig + NetworkingConfig). */
export interface CreateBody {
  readonly Image?: string;
  readonly Cmd?: string[] | string | null;
  readonly Entrypoint?: string[] | string | null;
  readonly Env?: string[] | null;
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly Hostname?: string;
  readonly Domainname?: string;
  readonly Tty?: boolean;
  readonly OpenStdin?: boolean;
  readonly AttachStdin?: boolean;
  readonly Labels?: Record<string, string> | null;
  readonly StopSignal?: string;
  readonly StopTimeout?: number | null;
  readonly ExposedPorts?: Record<string, unknown> | null;
  readonly Volumes?: Record<string, unknown> | null;
  readonly HostConfig?: Record<string, unknown> | null;
  readonly NetworkingConfig?: {
    EndpointsConfig?: Record<string, { Aliases?: string[] | null }> | null;
  } | null;
  readonly [key: string]: unknown;
}

/** The translation the API's create makes: `run`'s flags, and the command line's image and args. */
export interface CreateRequest {
  readonly image: string;
  readonly args: readonly string[];
  readonly flags: RunFlags;
  readonly logDriver?: string;
  readonly logOpt?: readonly string[];
  /** HostConfig.ConsoleSize: the first terminal size, with a tty. */
  readonly size?: { readonly rows: number; readonly columns: number };
}

/**
 * HostConfig fields koker reads; any other one that is set (not zero, empty or null) is refused
 * by name rather than ignored, so a client never believes it got a limit or a device it did not.
 */
const HOST_CONFIG_READ = new Set([
  'Binds',
  'NetworkMode',
  'PortBindings',
  'RestartPolicy',
  'AutoRemove',
  'Privileged',
  'PublishAllPorts',
  'ReadonlyRootfs',
  'Dns',
  'DnsSearch',
  'DnsOptions',
  'ExtraHosts',
  'CapAdd',
  'CapDrop',
  'SecurityOpt',
  'Tmpfs',
  'VolumesFrom',
  'Mounts',
  'Init',
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'NanoCpus',
  'CpuShares',
  'CpusetCpus',
  'PidsLimit',
  'ShmSize',
  'Sysctls',
  'OomScoreAdj',
  'UTSMode',
  'PidMode',
  'IpcMode',
  'GroupAdd',
  'Ulimits',
  'Devices',
  'DeviceCgroupRules',
  'LogConfig',
  'ConsoleSize',
  // Docker's CLI always sends these; their zero values mean nothing to change.
  'CgroupnsMode',
  'Isolation',
  'MaskedPaths',
  'ReadonlyPaths',
  'OomKillDisable',
  'Cgroup',
  'Links',
  'MemorySwappiness',
]);

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value as object).every(isEmpty);
  return false;
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' && value !== '' ? [value] : [];

function words(value: string[] | string | null | undefined): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value.map(String);
}

/** Docker's create body as `run`'s flags: the same parsing, checks and defaults as the command line. */
export function createRequestFromBody(body: CreateBody, name: string | undefined): CreateRequest {
  const image = body.Image;
  if (typeof image !== 'string' || image === '')
    throw new ApiError(400, 'config cannot be empty in order to create a container');
  const host = body.HostConfig ?? {};
  const refused = Object.entries(host)
    .filter(([key, value]) => !HOST_CONFIG_READ.has(key) && !isEmpty(value))
    .map(([key]) => key);
  // Set to something koker cannot do, though read: refused by name too.
  if (host.OomKillDisable === true) refused.push('OomKillDisable');
  if (!isEmpty(host.Links)) refused.push('Links');
  if (typeof host.Isolation === 'string' && !['', 'default'].includes(host.Isolation))
    refused.push('Isolation');
  if (typeof host.CgroupnsMode === 'string' && !['', 'private', 'host'].includes(host.CgroupnsMode))
    refused.push('CgroupnsMode');
  if (typeof host.Cgroup === 'string' && host.Cgroup !== '') refused.push('Cgroup');
  if (host.PublishAllPorts === true) refused.push('PublishAllPorts');
  // -1 (or absent) is "the kernel's default", what Docker's CLI sends when the flag is not given.
  if (typeof host.MemorySwappiness === 'number' && host.MemorySwappiness >= 0)
    refused.push('MemorySwappiness');
  if (refused.length > 0)
    throw new ApiError(400, `koker does not support HostConfig.${refused.join(', HostConfig.')}`);

  const entrypoint = words(body.Entrypoint);
  const cmd = words(body.Cmd) ?? [];
  // The flag takes one word; the API a list: the rest of the list goes before Cmd.
  const entry = entrypoint && entrypoint.length > 0 ? entrypoint : undefined;
  const args = entry ? [...entry.slice(1), ...cmd] : cmd;

  const ports: string[] = [];
  for (const [port, bindings] of Object.entries((host.PortBindings ?? {}) as Record<string, unknown>)) {
    const [number, proto = 'tcp'] = port.split('/');
    const each = Array.isArray(bindings) && bindings.length > 0 ? bindings : [{}];
    for (const binding of each as { HostIp?: string; HostPort?: string }[]) {
      // No host port: one the driver picks, as `-p PORT` (or `-p IP::PORT`).
      const host = binding.HostPort === '0' ? '' : (binding.HostPort ?? '');
      if (host === '')
        ports.push(binding.HostIp ? `${binding.HostIp}::${number}/${proto}` : `${number}/${proto}`);
      else ports.push(`${binding.HostIp ? `${binding.HostIp}:` : ''}${host}:${number}/${proto}`);
    }
  }
  const restart = host.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined;
  const restartFlag =
    restart?.Name && restart.Name !== 'no'
      ? restart.Name === 'on-failure' && restart.MaximumRetryCount
        ? `on-failure:${restart.MaximumRetryCount}`
        : restart.Name
      : undefined;
  const log = host.LogConfig as { Type?: string; Config?: Record<string, string> } | undefined;
  const networkMode =
    typeof host.NetworkMode === 'string' && host.NetworkMode !== 'default' ? host.NetworkMode : undefined;
  const endpoints = body.NetworkingConfig?.EndpointsConfig ?? {};
  const aliases = Object.values(endpoints).flatMap((endpoint) => endpoint?.Aliases ?? []);
  const ulimits = (host.Ulimits ?? []) as { Name: string; Soft: number; Hard: number }[];
  const devices = (host.Devices ?? []) as {
    PathOnHost: string;
    PathInContainer?: string;
    CgroupPermissions?: string;
  }[];
  const tmpfs = Object.entries((host.Tmpfs ?? {}) as Record<string, string>).map(([path, options]) =>
    options ? `${path}:${options}` : path,
  );
  const mounts = (
    (host.Mounts ?? []) as { Type: string; Source?: string; Target: string; ReadOnly?: boolean }[]
  ).map((mount) =>
    [
      `type=${mount.Type}`,
      ...(mount.Source ? [`source=${mount.Source}`] : []),
      `target=${mount.Target}`,
      ...(mount.ReadOnly ? ['readonly'] : []),
    ].join(','),
  );
  const consoleSize = host.ConsoleSize as [number, number] | undefined;
  const anonymous = Object.keys(body.Volumes ?? {}).filter(
    (target) => !list(host.Binds).some((bind) => bind.split(':')[1] === target),
  );

  const flags: RunFlags = {
    ...(name ? { name } : {}),
    ...(body.Hostname ? { hostname: body.Hostname } : {}),
    ...(body.Domainname ? { domainname: body.Domainname } : {}),
    env: list(body.Env),
    ...(body.WorkingDir ? { workdir: body.WorkingDir } : {}),
    ...(body.User ? { user: body.User } : {}),
    ...(entry
      ? { entrypoint: entry[0] ?? '' }
      : Array.isArray(body.Entrypoint) && body.Entrypoint.length === 0
        ? {}
        : {}),
    tty: body.Tty === true,
    interactive: body.OpenStdin === true,
    rm: host.AutoRemove === true,
    publish: ports,
    ...(networkMode ? { net: networkMode } : {}),
    netAlias: aliases,
    dns: list(host.Dns),
    dnsSearch: list(host.DnsSearch),
    dnsOpt: list(host.DnsOptions),
    addHost: list(host.ExtraHosts),
    readOnly: host.ReadonlyRootfs === true,
    capAdd: list(host.CapAdd),
    capDrop: list(host.CapDrop),
    privileged: host.Privileged === true,
    securityOpt: list(host.SecurityOpt),
    device: devices.map((d) =>
      [d.PathOnHost, d.PathInContainer ?? d.PathOnHost, d.CgroupPermissions ?? 'rwm'].join(':'),
    ),
    deviceCgroupRule: list(host.DeviceCgroupRules),
    ...(host.Init === true ? { init: true } : {}),
    volume: [...list(host.Binds), ...anonymous],
    mount: mounts,
    tmpfs,
    volumesFrom: list(host.VolumesFrom),
    label: Object.entries(body.Labels ?? {}).map(([key, value]) => `${key}=${value}`),
    ulimit: ulimits.map((u) => `${u.Name}=${u.Soft}:${u.Hard}`),
    groupAdd: list(host.GroupAdd),
    ...(body.StopSignal ? { stopSignal: body.StopSignal } : {}),
    ...(typeof body.StopTimeout === 'number' ? { stopTimeout: String(body.StopTimeout) } : {}),
    ...(typeof host.ShmSize === 'number' && host.ShmSize > 0 ? { shmSize: `${host.ShmSize}b` } : {}),
    sysctl: Object.entries((host.Sysctls ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`),
    ...(typeof host.OomScoreAdj === 'number' && host.OomScoreAdj !== 0
      ? { oomScoreAdj: String(host.OomScoreAdj) }
      : {}),
    ...(typeof host.UTSMode === 'string' && host.UTSMode ? { uts: host.UTSMode } : {}),
    ...(typeof host.PidMode === 'string' && host.PidMode ? { pid: host.PidMode } : {}),
    ...(typeof host.IpcMode === 'string' && host.IpcMode ? { ipc: host.IpcMode } : {}),
    ...(restartFlag ? { restart: restartFlag } : {}),
    ...limitFlagsFromHostConfig(host),
  };
  return {
    image,
    args,
    flags,
    ...(log?.Type ? { logDriver: log.Type } : {}),
    logOpt: Object.entries(log?.Config ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(consoleSize && consoleSize[0] > 0 && consoleSize[1] > 0
      ? { size: { rows: consoleSize[0], columns: consoleSize[1] } }
      : {}),
  };
}

/** HostConfig's resource limits as `run`'s and `update`'s flags (zero and unset mean no change). */
export function limitFlagsFromHostConfig(host: Record<string, unknown>): LimitFlags {
  return {
    ...(typeof host.Memory === 'number' && host.Memory > 0 ? { memory: `${host.Memory}b` } : {}),
    ...(typeof host.MemorySwap === 'number' && host.MemorySwap !== 0
      ? { memorySwap: host.MemorySwap < 0 ? '-1' : `${host.MemorySwap}b` }
      : {}),
    ...(typeof host.MemoryReservation === 'number' && host.MemoryReservation > 0
      ? { memoryReservation: `${host.MemoryReservation}b` }
      : {}),
    ...(typeof host.NanoCpus === 'number' && host.NanoCpus > 0 ? { cpus: String(host.NanoCpus / 1e9) } : {}),
    ...(typeof host.CpuShares === 'number' && host.CpuShares > 0
      ? { cpuShares: String(host.CpuShares) }
      : {}),
    ...(typeof host.CpusetCpus === 'string' && host.CpusetCpus ? { cpusetCpus: host.CpusetCpus } : {}),
    ...(typeof host.PidsLimit === 'number' && host.PidsLimit !== 0
      ? { pidsLimit: String(host.PidsLimit) }
      : {}),
  };
}
