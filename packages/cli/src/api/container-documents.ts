import { type PortMapping } from '@koker/core';
import { type CliContext } from '../context.js';
import { containerNetworks } from '../networks/container-networks.js';
import { statusText, type ContainerView } from '../output/container-view.js';
import { type CreatedContainer } from './created-containers.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function ports(mappings: readonly PortMapping[]) {
  return mappings.map((p) => ({
    IP: p.hostIp,
    PrivatePort: p.containerPort,
    PublicPort: p.hostPort,
    Type: p.protocol,
  }));
}

/** One item of `GET /containers/json`, Docker's shape, as `ps` sees the container. */
export async function containerSummary(ctx: CliContext, view: ContainerView) {
  const { record, seen } = view;
  const networks = await containerNetworks(ctx, record).catch(() => ({
    mode: record.network.mode,
    networks: {},
  }));
  const state = (seen as { paused?: boolean }).paused ? 'paused' : seen.status;
  return {
    Id: record.id,
    Names: [`/${record.name}`],
    Image: record.image.reference,
    ImageID: record.image.id,
    Command: [...record.entrypoint, ...record.command].join(' '),
    Created: seconds(record.created),
    Ports: ports(record.network.ports),
    Labels: record.labels ?? {},
    State: state,
    Status: `${statusText(view, Date.now())}${state === 'paused' && !statusText(view, Date.now()).includes('Paused') ? ' (Paused)' : ''}`,
    HostConfig: { NetworkMode: networks.mode },
    NetworkSettings: { Networks: networks.networks },
    Mounts: (record.mounts ?? []).map((m) => ({
      Type: m.type,
      ...(m.type === 'volume' ? { Name: m.source } : {}),
      Source: m.source,
      Destination: m.destination,
      RW: !m.readOnly,
    })),
  };
}

function command(created: CreatedContainer): string[] {
  const process = created.run.process;
  const entry =
    process.entrypoint !== undefined ? [process.entrypoint] : (created.image.record.config.Entrypoint ?? []);
  const args =
    process.args.length > 0
      ? [...process.args]
      : process.entrypoint !== undefined
        ? []
        : (created.image.record.config.Cmd ?? []);
  return [...entry, ...args];
}

/** A container created through the API and not started yet, in `GET /containers/json?all=1`. */
export function createdSummary(created: CreatedContainer) {
  return {
    Id: created.id,
    Names: created.name ? [`/${created.name}`] : [],
    Image: created.request.image,
    ImageID: created.image.record.id,
    Command: command(created).join(' '),
    Created: seconds(created.created),
    Ports: [],
    Labels: {},
    State: 'created',
    Status: 'Created',
    HostConfig: { NetworkMode: created.run.network.mode },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

/** `GET /containers/{id}/json` of a created container: what Docker's clients read before the start. */
export function createdInspect(created: CreatedContainer) {
  const [path = '', ...args] = command(created);
  const process = created.run.process;
  return {
    Id: created.id,
    Created: created.created,
    Path: path,
    Args: args,
    State: {
      Status: 'created',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 0,
      Error: '',
      StartedAt: ZERO_TIME,
      FinishedAt: ZERO_TIME,
    },
    Image: created.image.record.id,
    Name: created.name ? `/${created.name}` : '',
    RestartCount: 0,
    HostConfig: { AutoRemove: created.run.autoRemove, NetworkMode: created.run.network.mode },
    Config: {
      Image: created.request.image,
      Tty: process.tty,
      OpenStdin: process.interactive,
      AttachStdin: process.interactive,
      Env: process.env ?? [],
      Labels: {},
    },
    Mounts: [],
    NetworkSettings: { Networks: {} },
  };
}
