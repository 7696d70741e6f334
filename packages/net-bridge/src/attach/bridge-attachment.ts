import { existsSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import {
  ConflictError,
  type ContainerId,
  type Logger,
  type NetworkAttachment,
  type PortMapping,
} from '@koker/core';
import { type BridgeSettings, type BridgeSetup } from '../bridge-setup.js';
import { type ContainerTeardown } from '../cleanup/container-teardown.js';
import { type GoneLeaseReclaimer } from '../cleanup/reclaim-gone.js';
import { containerHostsEntries } from '../dns/hosts-file.js';
import { resolverResolvConf } from '../dns/resolv-conf.js';
import { formatIpv4 } from '../ipam/ipv4.js';
import { chosenAddress, nextFreeAddress, withLease, type Lease } from '../ipam/lease-table.js';
import { type Iptables } from '../iptables/iptables.js';
import { portRules } from '../iptables/rules.js';
import { type LinkInfo } from '../netlink/route-replies.js';
import { RtNetlink } from '../netlink/rtnetlink.js';
import { type NetnsFiles } from '../netns/netns-files.js';
import { claimHostPorts } from '../ports/claim-host-ports.js';
import { type AttachmentRecord } from '../state/attachment-record.js';
import { type NetworkState } from '../state/network-state.js';
import { currentProcess } from '../state/process-owner.js';
import { isValidLinkName } from '../veth-names.js';
import { connectContainer, freeVethName } from './connect-container.js';

export interface BridgeAttachmentParts {
  readonly log: Logger;
  readonly iptables: Iptables;
  readonly netns: NetnsFiles;
  readonly state: NetworkState;
  readonly teardown: ContainerTeardown;
  readonly reclaimer: GoneLeaseReclaimer;
  readonly bridgeSetup: (bridge: string) => BridgeSetup;
  /** The bridge of the configuration: where to look for a lease of a container without a record. */
  readonly configuredBridge: string;
}

/** What `attach` has checked and prepared before the sequence starts. */
export interface BridgeAttachRequest {
  readonly settings: BridgeSettings;
  readonly ports: readonly PortMapping[];
  readonly resolvConf: string;
  readonly hostname: string;
  readonly name: string;
  /** `--add-host` lines, after the container's own. */
  readonly extraHosts: readonly string[];
  /**
   * On a user network: the container is known to the network's resolver (koker-dns) by name,
   * `aliases` and short ID, and asks it (its resolv.conf names the gateway). `--dns` servers
   * (`servers`) are where the resolver forwards its other names, as Docker's embedded DNS does;
   * with only IPv6 ones (koker-dns forwards over IPv4) the container asks them itself.
   * Absent on the default bridge, as with Docker.
   */
  readonly resolve?: { readonly aliases: readonly string[]; readonly servers: readonly string[] };
  /** `--ip`: the address wanted. */
  readonly ip?: string;
}

/**
 * The sequence that connects one container to the bridge, and the one that disconnects it.
 * Under the bridge's lock: the bridge, gone containers reclaimed, then the lease and the record.
 * Then, without the lock: the namespace, veth and eth0, and the published ports' rules.
 */
export class BridgeAttachment {
  constructor(private readonly parts: BridgeAttachmentParts) {}

  async attach(id: ContainerId, request: BridgeAttachRequest): Promise<NetworkAttachment> {
    const { settings } = request;
    const netns = this.parts.state.netnsPath(id);
    const { bridge, record } = await this.parts.state
      .leases(settings.name)
      .locked(() => this.lease(id, request, netns));
    const ip = record.ipAddress as string;
    const gateway = formatIpv4(settings.subnet.gateway);
    try {
      connectContainer(this.parts.netns, this.parts.log, {
        settings,
        bridge,
        hostVeth: record.hostVeth as string,
        ip,
        netns,
      });
      await this.parts.iptables.add(portRules(id, settings.name, ip, record.ports));
    } catch (error) {
      await this.detach(id).catch((cleanup: Error) =>
        this.parts.log.warn({ err: cleanup }, 'Could not undo a half-made container network'),
      );
      throw error;
    }
    return {
      mode: 'bridge',
      netnsPath: netns,
      ipAddress: ip,
      prefixLength: settings.subnet.prefixLength,
      gateway,
      bridge: settings.name,
      ports: record.ports,
      resolvConf: await this.resolvConf(request, gateway),
      // As Docker: the container's own names and `--add-host`; its peers are the resolver's.
      hostsEntries: [
        ...containerHostsEntries({ hostname: request.hostname, name: request.name, ipAddress: ip }),
        ...request.extraHosts,
      ],
    };
  }

  /** The gateway (the network's resolver) once it listens there; the host's servers otherwise. */
  private async resolvConf(request: BridgeAttachRequest, gateway: string): Promise<string> {
    const resolver = this.parts.state.resolver;
    if (!request.resolve || !resolver) return request.resolvConf;
    const { servers } = request.resolve;
    if (servers.length > 0 && !servers.some((server) => isIPv4(server))) return request.resolvConf;
    if (await resolver.ready(gateway)) return resolverResolvConf(gateway, request.resolvConf);
    this.parts.log.warn(
      { gateway },
      'The name resolver of the network does not answer: the container gets the host resolvers, without the names of the network',
    );
    return request.resolvConf;
  }

  /**
   * Under the bridge's lock: the bridge itself, leases of gone containers reclaimed, then an
   * address, the host ports and veth names for this one, recorded before anything is created.
   */
  private async lease(
    id: ContainerId,
    request: BridgeAttachRequest,
    netns: string,
  ): Promise<{ bridge: LinkInfo; record: AttachmentRecord }> {
    const { settings, ports: wanted, resolve } = request;
    const { log, state } = this.parts;
    const store = state.leases(settings.name);
    const rt = new RtNetlink();
    try {
      const bridge = await this.parts.bridgeSetup(settings.name).ensure(rt, settings);
      const table = await this.parts.reclaimer.reclaim(store, await store.forSubnet(settings.subnet), rt);
      if (table.leases.some((l) => l.id === id) || (await state.records.read(id)))
        throw new ConflictError(`container ${id.slice(0, 12)} already has a network`);
      const ip =
        request.ip === undefined
          ? nextFreeAddress(table, settings.subnet)
          : chosenAddress(table, settings.subnet, request.ip);
      const ports = await claimHostPorts(table, wanted);
      const hostVeth = freeVethName(rt, id, log);
      const record: AttachmentRecord = {
        version: 1,
        id,
        mode: 'bridge',
        netns,
        bridge: settings.name,
        hostVeth,
        ipAddress: ip,
        ports,
      };
      await state.records.write(record);
      const lease: Lease = {
        id,
        ip,
        ports,
        netns,
        owner: currentProcess(),
        runRoot: state.runRoot,
        ...(resolve ? { names: [...new Set([request.name, ...resolve.aliases].filter(Boolean))] } : {}),
        ...(resolve && resolve.servers.some((server) => isIPv4(server))
          ? { dns: resolve.servers.filter((server) => isIPv4(server)) }
          : {}),
      };
      log.debug({ bridge: settings.name, ip }, 'Lease IP address');
      const after = withLease(table, lease, settings.subnet);
      try {
        // The network's resolver learns the name with the table (LeaseStore.write).
        await store.write(after);
      } catch (error) {
        await state.records.remove(id);
        throw error;
      }
      return { bridge, record };
    } finally {
      rt.close();
    }
  }

  /** Rules, veth and namespace, then the lease, then the record: missing pieces are no error. */
  async detach(id: ContainerId): Promise<void> {
    const { state } = this.parts;
    const record = await state.records.read(id);
    // `--network none|host` (and a second detach) leave nothing: no system call, no process.
    if (!record && !(await this.holdsAnything(id))) return;
    const rt = new RtNetlink();
    try {
      await this.parts.teardown.run(id, record, rt);
    } finally {
      rt.close();
    }
    const bridge = record?.bridge ?? (record ? undefined : this.parts.configuredBridge);
    if (bridge !== undefined && isValidLinkName(bridge)) await state.leases(bridge).release(id);
    await state.records.remove(id);
  }

  /** Without a record: whether a namespace file or a lease of the configured bridge is left. */
  private async holdsAnything(id: ContainerId): Promise<boolean> {
    const { state, configuredBridge } = this.parts;
    if (existsSync(state.netnsPath(id))) return true;
    if (!isValidLinkName(configuredBridge)) return false;
    return state.leases(configuredBridge).holds(id);
  }
}
