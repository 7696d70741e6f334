import { readFile } from 'node:fs/promises';
import { type ContainerRecord, type UserNetwork } from '@koker/core';
import { type CliContext } from '../context.js';
import { userNetworksOf } from './user-networks.js';
import { predefinedNetworkNamed } from './predefined-networks.js';

/** One entry of Docker's `NetworkSettings.Networks`. */
export interface EndpointView {
  readonly NetworkID: string;
  readonly IPAddress: string;
  readonly IPPrefixLen: number;
  readonly Gateway: string;
  readonly MacAddress: string;
  readonly Aliases: readonly string[] | null;
  /** What the network's resolver answers for this container (Docker 25+): name, aliases, short ID. */
  readonly DNSNames: readonly string[] | null;
}

/** `HostConfig.NetworkMode` and `NetworkSettings.Networks` of a container, as Docker shows them. */
export interface ContainerNetworksView {
  readonly mode: string;
  readonly networks: Readonly<Record<string, EndpointView>>;
}

/** The names a user network's resolver knows the container by. */
const dnsNames = (record: ContainerRecord, aliases: readonly string[]) => [
  ...new Set([record.name, ...aliases, record.id.slice(0, 12)]),
];

const prefixLength = (subnet: string | undefined) => Number(subnet?.split('/')[1] ?? 0);

/** eth0's MAC address, read through the running container's own sysfs; '' if it cannot be. */
export async function macAddress(record: ContainerRecord): Promise<string> {
  if (record.pid === undefined || record.status !== 'running') return '';
  return (
    await readFile(`/proc/${record.pid}/root/sys/class/net/eth0/address`, 'utf8').catch(() => '')
  ).trim();
}

/**
 * The networks a container is on: its user network (`--network NAME`) or built-in one, and the
 * user networks it was connected to (`network connect`), found in their address tables.
 */
export async function containerNetworks(
  context: CliContext,
  record: ContainerRecord,
): Promise<ContainerNetworksView> {
  const request = record.spec?.network;
  const mode = record.network.mode;
  // Docker's `container:<ID>`: the joined container's, not this one's, network.
  if (mode === 'container')
    return { mode: request?.container ? `container:${request.container}` : mode, networks: {} };
  const users: UserNetwork[] = await userNetworksOf(context)
    .then((networks) => networks.list())
    .catch(() => []);
  const wanted = request?.network;
  const primary =
    wanted === undefined ? undefined : users.find((n) => n.name === wanted || n.id.startsWith(wanted));
  const networks: Record<string, EndpointView> = {};
  if (wanted === undefined) {
    const builtin = predefinedNetworkNamed(context.config, mode);
    networks[mode] = {
      NetworkID: builtin?.id ?? '',
      IPAddress: record.network.ipAddress ?? '',
      IPPrefixLen: record.network.ipAddress ? prefixLength(builtin?.subnet) : 0,
      Gateway: record.network.gateway ?? '',
      MacAddress: mode === 'bridge' ? await macAddress(record) : '',
      Aliases: null,
      DNSNames: null,
    };
  } else {
    networks[primary?.name ?? wanted] = {
      NetworkID: primary?.id ?? '',
      IPAddress: record.network.ipAddress ?? '',
      IPPrefixLen: record.network.ipAddress ? prefixLength(primary?.subnet) : 0,
      Gateway: record.network.gateway ?? '',
      MacAddress: await macAddress(record),
      Aliases: request?.aliases ?? [],
      DNSNames: dnsNames(record, request?.aliases ?? []),
    };
  }
  for (const network of users) {
    if (network === primary) continue;
    const endpoint = network.containers.find((c) => c.id === record.id);
    if (!endpoint) continue;
    networks[network.name] = {
      NetworkID: network.id,
      IPAddress: endpoint.ipAddress,
      IPPrefixLen: prefixLength(network.subnet),
      Gateway: network.gateway,
      MacAddress: endpoint.macAddress ?? '',
      Aliases: endpoint.aliases ?? [],
      DNSNames: dnsNames(record, endpoint.aliases ?? []),
    };
  }
  return { mode: wanted === undefined ? mode : (primary?.name ?? wanted), networks };
}
