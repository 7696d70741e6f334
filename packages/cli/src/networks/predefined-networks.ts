import { createHash } from 'node:crypto';
import { ConflictError, type ContainerId, type KokerConfig, type UserNetwork } from '@koker/core';
import { type CliContext } from '../context.js';

/** Docker's built-in networks: always there, never created or removed by a user. */
const PREDEFINED_NETWORK_NAMES = ['bridge', 'host', 'none'] as const;
type PredefinedNetworkName = (typeof PREDEFINED_NETWORK_NAMES)[number];

/** Docker's driver of each built-in network (`none` is the `null` driver). */
const DRIVERS: Record<PredefinedNetworkName, string> = { bridge: 'bridge', host: 'host', none: 'null' };

/**
 * A network as `network ls` and `network inspect` show it: a user network, or a built-in one
 * (no subnet for `host` and `none`).
 */
export interface ListedNetwork {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly created: string;
  readonly subnet?: string;
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  readonly containers: UserNetwork['containers'];
  readonly predefined: boolean;
}

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** Refuses `network rm` of a built-in network (by name or ID) with Docker's words. */
export function refusePredefinedRemoval(networks: readonly ListedNetwork[], nameOrId: string): void {
  const builtin = findPredefined(networks, nameOrId);
  if (builtin) throw new ConflictError(`${builtin.name} is a pre-defined network and cannot be removed`);
}

/** The first host address of a CIDR: the default bridge's gateway. */
function firstHost(cidr: string): string {
  const [base = '', prefix = '32'] = cidr.split('/');
  const value = base.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const mask = Number(prefix) === 0 ? 0 : (0xffffffff << (32 - Number(prefix))) >>> 0;
  const gateway = ((value & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (gateway >>> shift) & 255).join('.');
}

/**
 * The built-in networks of this koker root. Their IDs are derived from the root and the name:
 * stable across commands (koker keeps no record of them) and distinct between roots.
 */
export async function predefinedNetworks(context: CliContext): Promise<ListedNetwork[]> {
  const bridgeContainers: { id: ContainerId; ipAddress: string }[] = [];
  for (const record of (await context.state.list()).records)
    if (
      record.network.mode === 'bridge' &&
      record.spec?.network.network === undefined &&
      record.network.ipAddress !== undefined &&
      record.pid !== undefined
    )
      bridgeContainers.push({ id: record.id, ipAddress: record.network.ipAddress });
  return PREDEFINED_NETWORK_NAMES.map((name) =>
    predefinedNetwork(context.config, name, name === 'bridge' ? bridgeContainers : []),
  );
}

/**
 * A built-in network by its name, without its containers (no record read): what one container's
 * own view of its network needs, once per container in a list.
 */
export function predefinedNetworkNamed(config: KokerConfig, name: string): ListedNetwork | undefined {
  const builtin = PREDEFINED_NETWORK_NAMES.find((n) => n === name);
  return builtin === undefined ? undefined : predefinedNetwork(config, builtin, []);
}

function predefinedNetwork(
  config: KokerConfig,
  name: PredefinedNetworkName,
  containers: ListedNetwork['containers'],
): ListedNetwork {
  return {
    id: createHash('sha256').update(`koker-network\0${config.root}\0${name}`).digest('hex'),
    name,
    driver: DRIVERS[name],
    created: '0001-01-01T00:00:00Z',
    ...(name === 'bridge'
      ? { subnet: config.network.subnet, gateway: firstHost(config.network.subnet) }
      : {}),
    internal: false,
    labels: {},
    options: name === 'bridge' ? { [BRIDGE_NAME_OPTION]: config.network.bridge } : {},
    containers,
    predefined: true,
  };
}

/** A user network as listed. */
export function listedUserNetwork(network: UserNetwork): ListedNetwork {
  return { ...network, predefined: false };
}

/**
 * A built-in network by name or by an ID prefix of at least 12 digits (what `ls` shows: shorter
 * ones could be a user network's name); undefined if none matches.
 */
export function findPredefined(
  networks: readonly ListedNetwork[],
  nameOrId: string,
): ListedNetwork | undefined {
  return (
    networks.find((n) => n.name === nameOrId) ??
    (/^[0-9a-f]{12,64}$/.test(nameOrId) ? networks.find((n) => n.id.startsWith(nameOrId)) : undefined)
  );
}
