import { randomBytes } from 'node:crypto';
import { crashPoint } from '@koker/host';
import {
  ConflictError,
  InvalidValueError,
  type ConnectRequest,
  type ContainerId,
  type Logger,
  type UserNetwork,
  type UserNetworks,
  type UserNetworkSpec,
} from '@koker/core';
import { type BridgeSettings, type BridgeSetup } from '../bridge-setup.js';
import { type GoneLeaseReclaimer } from '../cleanup/reclaim-gone.js';
import { removeBridge } from '../cleanup/remove-bridge.js';
import { clearCreation, markCreation, reclaimInterruptedCreates } from '../cleanup/interrupted-creates.js';
import { formatIpv4, macForAddress, parseIpv4 } from '../ipam/ipv4.js';
import { emptyLeaseTable } from '../ipam/lease-table.js';
import { parseSubnet, withAddressing } from '../ipam/subnet.js';
import { RT_TABLE_MAIN } from '../netlink/constants.js';
import { RtNetlink } from '../netlink/rtnetlink.js';
import { type NetworkState } from '../state/network-state.js';
import { isValidLinkName } from '../veth-names.js';
import { type NetnsFiles } from '../netns/netns-files.js';
import { NetworkConnections } from './network-connection.js';
import { NetworkDefinitions, parseNetworkName, type NetworkDefinition } from './network-definitions.js';
import { freePoolSubnet, overlapping, type UsedRange } from './subnet-pool.js';

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const KNOWN_OPTIONS = new Set([BRIDGE_NAME_OPTION]);

export interface UserNetworkParts {
  readonly log: Logger;
  readonly root: string;
  readonly state: NetworkState;
  readonly netns: NetnsFiles;
  readonly reclaimer: GoneLeaseReclaimer;
  readonly bridgeSetup: (bridge: string) => BridgeSetup;
}

/** The bridge settings of a user network: its own bridge, subnet, gateway, range, internal. */
export function settingsOf(definition: NetworkDefinition): BridgeSettings {
  return {
    name: definition.bridge,
    subnet: withAddressing(parseSubnet(definition.subnet), definition.gateway, definition.ipRange),
    internal: definition.internal,
    resolver: true,
  };
}

/**
 * User networks of the bridge driver: each its own bridge (made at `create`, as Docker does) and
 * subnet, reserved in the host-wide table directory so no other network of any koker root takes
 * an overlapping one. Definitions are per koker root (`<root>/network/networks/<id>.json`).
 */
export class BridgeUserNetworks implements UserNetworks {
  readonly definitions: NetworkDefinitions;
  readonly connections: NetworkConnections;

  constructor(private readonly parts: UserNetworkParts) {
    this.definitions = new NetworkDefinitions(parts.root, parts.log);
    this.connections = new NetworkConnections(parts);
  }

  async connect(nameOrId: string, id: ContainerId, request: ConnectRequest): Promise<{ ipAddress: string }> {
    const definition = await this.definitions.find(nameOrId);
    const ipAddress = await this.connections.connect(definition.name, settingsOf(definition), id, request);
    return { ipAddress };
  }

  async disconnect(nameOrId: string, id: ContainerId): Promise<void> {
    const definition = await this.definitions.find(nameOrId);
    await this.connections.disconnect(definition.name, settingsOf(definition), id);
  }

  async create(spec: UserNetworkSpec): Promise<UserNetwork> {
    const name = parseNetworkName(spec.name);
    for (const key of Object.keys(spec.options))
      if (!KNOWN_OPTIONS.has(key))
        throw new InvalidValueError(
          'network option',
          key,
          `the bridge driver knows ${[...KNOWN_OPTIONS].join(', ')}`,
        );
    if ((spec.gateway !== undefined || spec.ipRange !== undefined) && spec.subnet === undefined)
      throw new InvalidValueError('network', name, '--gateway and --ip-range need --subnet');
    return this.definitions.locked(async () => {
      if ((await this.definitions.all()).some((n) => n.name === name))
        throw new ConflictError(`network with name ${name} already exists`);
      const id = randomBytes(32).toString('hex');
      const bridge = spec.options[BRIDGE_NAME_OPTION] ?? `koker-${id.slice(0, 9)}`;
      if (!isValidLinkName(bridge))
        throw new InvalidValueError('bridge name', bridge, 'use 1 to 15 characters from [A-Za-z0-9_.-]');
      const definition = await this.parts.state.poolLocked(() =>
        this.makeBridge(
          {
            version: 1,
            id,
            name,
            created: new Date().toISOString(),
            bridge,
            subnet: '',
            ...(spec.gateway !== undefined ? { gateway: spec.gateway } : {}),
            ...(spec.ipRange !== undefined ? { ipRange: spec.ipRange } : {}),
            internal: spec.internal,
            labels: { ...spec.labels },
            options: { ...spec.options },
          },
          spec.subnet,
        ),
      );
      try {
        await this.definitions.write(definition);
        crashPoint('network-create:defined');
        await clearCreation(this.parts.state, definition.bridge);
      } catch (error) {
        await this.removeDefinition(definition).catch(() => undefined);
        throw error;
      }
      this.parts.log.debug({ network: name, bridge, subnet: definition.subnet }, 'Create network');
      return this.view(definition);
    });
  }

  /**
   * Under the host's subnet lock: a subnet that overlaps no route and no other bridge's table,
   * reserved by writing the bridge's (empty) table, then the bridge and its rules.
   */
  private async makeBridge(draft: NetworkDefinition, wanted: string | undefined): Promise<NetworkDefinition> {
    const { state } = this.parts;
    await reclaimInterruptedCreates(state, this.parts.bridgeSetup, this.parts.log);
    const rt = new RtNetlink();
    try {
      const others = await state.bridgeSubnets();
      if (others.some((o) => o.bridge === draft.bridge) || rt.link(draft.bridge))
        throw new ConflictError(`a bridge named ${draft.bridge} already exists on this host`, {
          hint: `choose another ${BRIDGE_NAME_OPTION}`,
        });
      const used: UsedRange[] = [
        ...rt
          .routes()
          .filter((r) => r.table === RT_TABLE_MAIN && r.prefixLength > 0)
          .map((r) => ({
            network: parseIpv4(r.destination),
            prefixLength: r.prefixLength,
            what: `the host's route to ${r.destination}/${r.prefixLength}`,
          })),
        ...others.map((o) => {
          const subnet = parseSubnet(o.subnet);
          return { network: subnet.network, prefixLength: subnet.prefixLength, what: `bridge ${o.bridge}` };
        }),
      ];
      let subnet;
      if (wanted !== undefined) {
        subnet = parseSubnet(wanted);
        const clash = overlapping(subnet, used);
        if (clash)
          throw new ConflictError(`invalid pool request: subnet ${subnet.cidr} overlaps ${clash.what}`);
      } else {
        subnet = freePoolSubnet(used);
      }
      const definition: NetworkDefinition = { ...draft, subnet: subnet.cidr };
      const settings = settingsOf(definition);
      const store = state.leases(definition.bridge);
      await store.locked(async () => {
        // Marked first: a create killed at any later step is undone by the next one (or by ls).
        await markCreation(state, definition.bridge, this.definitions.path(definition.id), subnet.cidr);
        await store.write(emptyLeaseTable(settings.subnet));
        crashPoint('network-create:reserved');
        try {
          await this.parts.bridgeSetup(definition.bridge).ensure(rt, settings);
          crashPoint('network-create:bridge');
        } catch (error) {
          await this.parts
            .bridgeSetup(definition.bridge)
            .remove(rt, settings)
            .catch(() => undefined);
          await store.remove();
          throw error;
        }
      });
      return definition;
    } finally {
      rt.close();
    }
  }

  async list(): Promise<UserNetwork[]> {
    await this.parts.state.poolLocked(() =>
      reclaimInterruptedCreates(this.parts.state, this.parts.bridgeSetup, this.parts.log),
    );
    return Promise.all((await this.definitions.all()).map((d) => this.view(d)));
  }

  async find(nameOrId: string): Promise<UserNetwork> {
    return this.view(await this.definitions.find(nameOrId));
  }

  async remove(nameOrId: string): Promise<void> {
    await this.definitions.locked(async () => {
      const definition = await this.definitions.find(nameOrId);
      try {
        await this.removeDefinition(definition);
      } catch (error) {
        if (error instanceof ConflictError)
          throw new ConflictError(
            `error while removing network: network ${definition.name} id ${definition.id} has active endpoints`,
            { hint: 'stop and remove its containers, or disconnect them, first' },
          );
        throw error;
      }
      this.parts.log.debug({ network: definition.name, bridge: definition.bridge }, 'Remove network');
    });
  }

  /** The bridges of this root's networks (for the garbage collector's inventory). */
  async bridges(): Promise<string[]> {
    return (await this.definitions.all()).map((d) => d.bridge);
  }

  private async removeDefinition(definition: NetworkDefinition): Promise<void> {
    await removeBridge(settingsOf(definition), {
      state: this.parts.state,
      reclaimer: this.parts.reclaimer,
      setup: this.parts.bridgeSetup(definition.bridge),
    });
    await this.definitions.remove(definition.id);
  }

  private async view(definition: NetworkDefinition): Promise<UserNetwork> {
    const settings = settingsOf(definition);
    const table = await this.parts.state
      .leases(definition.bridge)
      .current()
      .catch(() => undefined);
    const mine = (table?.leases ?? []).filter(
      (l) => l.runRoot === undefined || l.runRoot === this.parts.state.runRoot,
    );
    return {
      id: definition.id,
      name: definition.name,
      driver: 'bridge',
      created: definition.created,
      subnet: definition.subnet,
      gateway: formatIpv4(settings.subnet.gateway),
      ...(definition.ipRange !== undefined ? { ipRange: definition.ipRange } : {}),
      internal: definition.internal,
      labels: definition.labels,
      options: { ...definition.options, [BRIDGE_NAME_OPTION]: definition.bridge },
      containers: mine.map((l) => ({
        id: l.id,
        ipAddress: l.ip,
        macAddress: macForAddress(l.ip),
        // The lease's names: the container's name first, then its aliases on this network.
        aliases: (l.names ?? []).slice(1),
      })),
    };
  }
}
