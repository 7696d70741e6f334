import { isIPv4 } from 'node:net';
import { dirname, join } from 'node:path';
import { findNativeBuild } from '@koker/host';
import {
  InvalidValueError,
  type ContainerId,
  type KokerConfig,
  type Logger,
  type NetworkAttachment,
  type NetworkDriver,
  type NetworkRequest,
  type Syscalls,
} from '@koker/core';
import { BridgeAttachment } from './attach/bridge-attachment.js';
import { BridgeSetup, type BridgeSettings } from './bridge-setup.js';
import { ContainerTeardown } from './cleanup/container-teardown.js';
import { listNetworkHolders } from './cleanup/network-inventory.js';
import { GoneLeaseReclaimer } from './cleanup/reclaim-gone.js';
import { removeBridge } from './cleanup/remove-bridge.js';
import {
  HOST_NETWORK_FILES,
  readContainerResolvConf,
  readHostHostsEntries,
  readResolverUpstreams,
  type HostNetworkFiles,
} from './dns/host-network-files.js';
import { containerHostsEntries } from './dns/hosts-file.js';
import { NetworkResolver } from './dns/network-resolver.js';
import { extraHostsLines } from './dns/extra-hosts.js';
import { parseDnsServers, parseResolverWords } from './dns/resolv-conf.js';
import { formatIpv4 } from './ipam/ipv4.js';
import { parseSubnet } from './ipam/subnet.js';
import { Iptables } from './iptables/iptables.js';
import { NetnsFiles } from './netns/netns-files.js';
import { BridgeUserNetworks, settingsOf } from './networks/bridge-user-networks.js';
import { validatePortMappings } from './ports/validate-ports.js';
import { HOST_BRIDGES_DIR, NetworkState } from './state/network-state.js';
import { isValidLinkName } from './veth-names.js';

export { HOST_NETWORK_FILES, type HostNetworkFiles };

export interface BridgeDriverOptions {
  readonly config: KokerConfig;
  readonly log: Logger;
  readonly syscalls: Syscalls;
  readonly iptables?: Iptables;
  readonly hostFiles?: HostNetworkFiles;
  /** How long verified bridge rules are trusted before `iptables-save` checks them again. */
  readonly rulesCheckIntervalMs?: number;
  /** The host's directory of bridge lease tables (default `/run/koker/network/bridges`). */
  readonly bridgesDir?: string;
}

/** koker-dns: beside the configured native helper, else in native/build of this checkout. */
function resolverBinary(config: KokerConfig): string | undefined {
  if (config.nativeHelper) return join(dirname(config.nativeHelper), 'koker-dns');
  return findNativeBuild('koker-dns');
}

/**
 * A bridge with veth pairs, IPAM, iptables NAT and port publishing; also `none` and `host`.
 * This class picks the mode and composes the parts: the attach/detach sequence
 * (`attach/`), the bridge device (`bridge-setup.ts`), teardown and garbage collection
 * (`cleanup/`), and the state files (`state/`).
 */
export class BridgeNetworkDriver implements NetworkDriver {
  readonly name = 'bridge';
  private readonly log: Logger;
  private readonly iptables: Iptables;
  private readonly state: NetworkState;
  private readonly reclaimer: GoneLeaseReclaimer;
  private readonly bridgeAttachment: BridgeAttachment;
  private readonly hostFiles: HostNetworkFiles;
  readonly networks: BridgeUserNetworks;

  constructor(private readonly options: BridgeDriverOptions) {
    this.log = options.log;
    this.iptables = options.iptables ?? new Iptables(options.log);
    this.hostFiles = options.hostFiles ?? HOST_NETWORK_FILES;
    const bridgesDir = options.bridgesDir ?? HOST_BRIDGES_DIR;
    const resolver = new NetworkResolver({
      bridgesDir,
      log: this.log,
      binary: () => resolverBinary(options.config),
      upstreams: () =>
        options.config.network.dns?.length
          ? options.config.network.dns.filter((server) => isIPv4(server))
          : readResolverUpstreams(this.hostFiles),
    });
    this.state = new NetworkState(options.config.runRoot, options.log, bridgesDir, resolver);
    const netns = new NetnsFiles(options.syscalls, options.log);
    const teardown = new ContainerTeardown(this.log, this.iptables, netns, this.state);
    this.reclaimer = new GoneLeaseReclaimer(this.log, netns, this.state, teardown);
    this.bridgeAttachment = new BridgeAttachment({
      log: this.log,
      iptables: this.iptables,
      netns,
      state: this.state,
      teardown,
      reclaimer: this.reclaimer,
      bridgeSetup: (bridge) => this.bridgeSetup(bridge),
      configuredBridge: options.config.network.bridge,
    });
    this.networks = new BridgeUserNetworks({
      log: this.log,
      root: options.config.root,
      state: this.state,
      netns,
      reclaimer: this.reclaimer,
      bridgeSetup: (bridge) => this.bridgeSetup(bridge),
    });
  }

  /** The configured bridge, parsed (a bad name or subnet fails here, with the reason). */
  settings(): BridgeSettings {
    const { bridge, subnet } = this.options.config.network;
    if (!isValidLinkName(bridge))
      throw new InvalidValueError('bridge name', bridge, 'use 1 to 15 characters from [A-Za-z0-9_.-]');
    return { name: bridge, subnet: parseSubnet(subnet) };
  }

  private bridgeSetup(bridge: string): BridgeSetup {
    return new BridgeSetup(this.log, this.iptables, {
      markerPath: this.state.rulesCheckedPath(bridge),
      intervalMs: this.options.rulesCheckIntervalMs ?? 60_000,
    });
  }

  async attach(id: ContainerId, request: NetworkRequest): Promise<NetworkAttachment> {
    const dns = parseDnsServers(
      request.dns.length > 0 ? request.dns : (this.options.config.network.dns ?? []),
    );
    const resolver = {
      search: parseResolverWords('--dns-search', request.dnsSearch),
      options: parseResolverWords('--dns-option', request.dnsOptions),
    };
    switch (request.mode) {
      case 'host':
        if (request.ports.length > 0) this.log.warn('Published ports are ignored with --network host');
        return {
          mode: 'host',
          ports: [],
          resolvConf: readContainerResolvConf(this.hostFiles, this.log, dns, true, resolver),
          hostsEntries: [
            ...readHostHostsEntries(this.hostFiles),
            ...extraHostsLines(request.extraHosts, '127.0.0.1'),
          ],
        };
      case 'container': {
        // Another container's namespace: nothing is made, so detach has nothing to remove.
        const join = request.joinContainer;
        if (!join) throw new InvalidValueError('network mode', 'container', 'no container to join was given');
        if (request.ports.length > 0) this.log.warn('Published ports are ignored with --network container:');
        return {
          mode: 'container',
          netnsPath: join.netnsPath,
          ports: [],
          resolvConf: join.resolvConf,
          hostsEntries: [...join.hostsEntries],
        };
      }
      case 'none':
        // The launcher creates the namespace in its clone() and brings lo up: nothing to pin,
        // nothing to clean up, and no system call from this process.
        if (request.ports.length > 0) this.log.warn('Published ports are ignored with --network none');
        return {
          mode: 'none',
          ports: [],
          resolvConf: readContainerResolvConf(this.hostFiles, this.log, dns, false, resolver),
          hostsEntries: [
            ...containerHostsEntries({ hostname: request.hostname, name: request.name }),
            ...extraHostsLines(request.extraHosts, formatIpv4(this.settings().subnet.gateway)),
          ],
        };
      case 'bridge': {
        const settings =
          request.network === undefined
            ? this.settings()
            : settingsOf(await this.networks.definitions.find(request.network));
        const ports = validatePortMappings(request.ports);
        const resolvConf = readContainerResolvConf(this.hostFiles, this.log, dns, false, resolver);
        const extraHosts = extraHostsLines(request.extraHosts, formatIpv4(settings.subnet.gateway));
        if (request.network === undefined && (request.aliases?.length || request.ip !== undefined))
          throw new InvalidValueError(
            'network',
            'bridge',
            '--network-alias and --ip need a user network (koker network create)',
          );
        return this.bridgeAttachment.attach(id, {
          settings,
          ports,
          resolvConf,
          hostname: request.hostname,
          name: request.name,
          extraHosts,
          ...(request.network !== undefined
            ? { resolve: { aliases: request.aliases ?? [], servers: request.dns } }
            : {}),
          ...(request.ip !== undefined ? { ip: request.ip } : {}),
        });
      }
      default:
        throw new InvalidValueError(
          'network mode',
          String(request.mode),
          'expected bridge, none, host or container',
        );
    }
  }

  async detach(id: ContainerId): Promise<void> {
    await this.networks.connections.disconnectAll(id);
    await this.bridgeAttachment.detach(id);
  }

  async list(): Promise<ContainerId[]> {
    const holders = await listNetworkHolders(this.state, [
      this.options.config.network.bridge,
      ...(await this.networks.bridges()),
    ]);
    return [...new Set([...holders, ...(await this.state.connections.ids())])];
  }

  /**
   * Deletes the configured bridge and its rules, once no container holds a lease on it
   * (`koker system prune`, and tests that bring their own bridge).
   */
  async removeBridge(): Promise<void> {
    const settings = this.settings();
    await removeBridge(settings, {
      state: this.state,
      reclaimer: this.reclaimer,
      setup: this.bridgeSetup(settings.name),
    });
  }
}
