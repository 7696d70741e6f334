import { type PortMapping } from '@koker/core';
import { type CliContext } from '../context.js';
import { containerNetworks } from '../networks/container-networks.js';
import { statusText, type ContainerView } from '../output/container-view.js';

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
