import { type ContainerRecord, type HealthcheckConfig, type PortMapping } from '@koker/core';
import { formatRestartPolicy, type ObservedContainer } from '@koker/engine';
import { type ContainerNetworksView } from '../networks/container-networks.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Docker's `inspect` document for a container: its core fields, with koker's values. `networks`:
 * the networks it is on, as the network driver knows them (else its mode alone).
 */
export function inspectDocument(
  record: ContainerRecord,
  seen: ObservedContainer,
  networks: ContainerNetworksView = { mode: record.network.mode, networks: {} },
) {
  const [path = '', ...args] = [...record.entrypoint, ...record.command];
  const limits = record.limits;
  return {
    Id: record.id,
    Created: record.created,
    Path: path,
    Args: args,
    State: {
      Status: seen.status,
      Running: seen.running,
      Paused: false,
      Restarting: record.restarting === true && seen.status === 'exited',
      OOMKilled: record.oomKilled === true,
      Dead: false,
      Pid: seen.running ? (record.pid ?? 0) : 0,
      ExitCode: seen.status === 'exited' ? (seen.exitCode ?? 0) : 0,
      Error: seen.reason ?? '',
      StartedAt: record.started ?? ZERO_TIME,
      FinishedAt: seen.status === 'exited' ? (seen.finished ?? record.finished ?? ZERO_TIME) : ZERO_TIME,
      ...(record.spec?.healthcheck
        ? { Health: seen.health ?? { Status: 'starting', FailingStreak: 0, Log: [] } }
        : {}),
    },
    Image: record.image.id,
    Name: `/${record.name}`,
    RestartCount: record.restartCount ?? 0,
    HostConfig: {
      ...runOptionsView(record),
      NetworkMode: networks.mode,
      PortBindings: portBindings(record.network.ports),
      AutoRemove: record.autoRemove,
      ReadonlyRootfs: record.spec?.readOnlyRootfs ?? false,
      Memory: typeof limits.memory === 'number' ? limits.memory : 0,
      MemorySwap:
        limits.memorySwap === 'unlimited'
          ? -1
          : typeof limits.memorySwap === 'number'
            ? limits.memorySwap
            : 0,
      NanoCpus: typeof limits.nanoCpus === 'number' ? limits.nanoCpus : 0,
      CpuShares: limits.cpuShares ?? 0,
      CpusetCpus: limits.cpusetCpus ?? '',
      PidsLimit: limits.pidsLimit === 'unlimited' ? -1 : (limits.pidsLimit ?? null),
    },
    Mounts: (record.mounts ?? []).map((m) => ({
      Type: m.type,
      ...(m.type === 'volume' ? { Name: m.name ?? '' } : {}),
      Source: m.source,
      Destination: m.destination,
      ...(m.type === 'volume' ? { Driver: m.driver ?? 'local' } : {}),
      Mode: m.mode ?? '',
      RW: !m.readOnly,
      Propagation: m.type === 'bind' ? (m.propagation ?? 'rprivate') : '',
    })),
    Config: {
      Hostname: record.hostname,
      Domainname: record.spec?.domainname ?? '',
      User: record.user ?? '',
      Tty: record.tty === true,
      OpenStdin: record.interactive === true,
      Env: record.env,
      Cmd: record.command,
      Image: record.image.reference,
      WorkingDir: record.workingDir ?? '',
      Entrypoint: record.entrypoint.length > 0 ? record.entrypoint : null,
      StopSignal: record.stopSignal ?? 'SIGTERM',
      ...(record.stopTimeout !== undefined ? { StopTimeout: record.stopTimeout } : {}),
      Labels: record.labels ?? {},
      ...(record.spec?.healthcheck ? { Healthcheck: healthcheckView(record.spec.healthcheck) } : {}),
      ...(record.spec?.healthcheckDisabled ? { Healthcheck: { Test: ['NONE'] } } : {}),
    },
    NetworkSettings: {
      IPAddress: record.network.ipAddress ?? '',
      Gateway: record.network.gateway ?? '',
      Ports: portBindings(record.network.ports),
      Networks: networks.networks,
    },
  };
}

/** HostConfig's fields of the run flags: restart policy, namespaces, kernel parameters, groups. */
function runOptionsView(record: ContainerRecord) {
  const spec = record.spec;
  const modes = spec?.namespaces ?? {};
  const mode = (value: string | { container: string } | undefined) =>
    value === undefined ? '' : typeof value === 'string' ? value : `container:${value.container}`;
  const policy = record.restartPolicy;
  return {
    RestartPolicy: {
      Name: formatRestartPolicy(policy).split(':')[0] ?? 'no',
      MaximumRetryCount: policy?.maximumRetryCount ?? 0,
    },
    UTSMode: mode(modes.uts),
    PidMode: mode(modes.pid),
    IpcMode: mode(modes.ipc) || 'private',
    ShmSize: spec?.shmSize ?? 64 * 1024 * 1024,
    Sysctls: spec?.sysctls ?? {},
    OomScoreAdj: spec?.oomScoreAdj ?? 0,
    GroupAdd: spec?.process.groupAdd ?? null,
    Ulimits: (spec?.process.rlimits ?? []).map((r) => ({
      Name: r.type,
      Soft: r.soft === 'unlimited' ? -1 : r.soft,
      Hard: r.hard === 'unlimited' ? -1 : r.hard,
    })),
    MemoryReservation: record.limits.memoryReservation ?? 0,
    CgroupParent: record.limits.cgroupParent ?? '',
  };
}

/** Config.Healthcheck in Docker's units (nanoseconds). */
function healthcheckView(config: HealthcheckConfig) {
  const ns = (ms: number) => ms * 1e6;
  return {
    Test: config.test,
    Interval: ns(config.intervalMs),
    Timeout: ns(config.timeoutMs),
    StartPeriod: ns(config.startPeriodMs),
    StartInterval: ns(config.startIntervalMs),
    Retries: config.retries,
  };
}

function portBindings(ports: readonly PortMapping[]) {
  const result: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports)
    (result[`${p.containerPort}/${p.protocol}`] ??= []).push({
      HostIp: p.hostIp,
      HostPort: String(p.hostPort),
    });
  return result;
}
