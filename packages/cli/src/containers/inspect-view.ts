import { type ContainerRecord, type PortMapping } from '@koker/core';
import { type ObservedContainer } from '@koker/engine';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's `inspect` document for a container: its core fields, with koker's values. */
export function inspectDocument(record: ContainerRecord, seen: ObservedContainer) {
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
      Restarting: false,
      OOMKilled: record.oomKilled === true,
      Dead: false,
      Pid: seen.running ? (record.pid ?? 0) : 0,
      ExitCode: seen.status === 'exited' ? (seen.exitCode ?? 0) : 0,
      Error: seen.reason ?? '',
      StartedAt: record.started ?? ZERO_TIME,
      FinishedAt: seen.status === 'exited' ? (seen.finished ?? record.finished ?? ZERO_TIME) : ZERO_TIME,
    },
    Image: record.image.id,
    Name: `/${record.name}`,
    RestartCount: 0,
    HostConfig: {
      NetworkMode: record.network.mode,
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
      User: record.user ?? '',
      Tty: record.tty === true,
      OpenStdin: record.interactive === true,
      Env: record.env,
      Cmd: record.command,
      Image: record.image.reference,
      WorkingDir: record.workingDir ?? '',
      Entrypoint: record.entrypoint.length > 0 ? record.entrypoint : null,
      StopSignal: record.stopSignal ?? 'SIGTERM',
    },
    NetworkSettings: {
      IPAddress: record.network.ipAddress ?? '',
      Gateway: record.network.gateway ?? '',
      Ports: portBindings(record.network.ports),
    },
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
