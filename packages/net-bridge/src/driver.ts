import { closeSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  ConflictError,
  InvalidValueError,
  parseContainerId,
  type ContainerId,
  type KokerConfig,
  type Logger,
  type NetworkAttachment,
  type NetworkDriver,
  type NetworkRequest,
  type PortMapping,
  type Syscalls,
} from '@koker/core';
import { withFileLock, writeFileAtomic } from '@koker/host';
import { BridgeSetup, type BridgeSettings } from './bridge-setup.js';
import { containerHostsEntries, hostHostsEntries } from './dns/hosts-file.js';
import { containerResolvConf, parseDnsServers } from './dns/resolv-conf.js';
import { formatIpv4 } from './ipam/ipv4.js';
import { parseSubnet } from './ipam/subnet.js';
import {
  emptyLeaseTable,
  nextFreeAddress,
  parseLeaseTable,
  portHolder,
  withLease,
  withoutLeases,
  type Lease,
  type LeaseTable,
} from './ipam/lease-table.js';
import { Iptables } from './iptables/iptables.js';
import { containerCommentPrefix, portRules } from './iptables/rules.js';
import { type LinkInfo } from './netlink/route-replies.js';
import { RtNetlink } from './netlink/rtnetlink.js';
import { NetnsFiles } from './netns/netns-files.js';
import { assertHostPortFree, pickFreeHostPort } from './ports/host-port-probe.js';
import { validatePortMappings } from './ports/validate-ports.js';
import { AttachmentRecords, type AttachmentRecord } from './state/attachment-record.js';
import { readOptionalFile } from './state/optional-file.js';
import { currentProcess, isAlive } from './state/process-owner.js';
import { isValidLinkName, vethNameCandidates } from './veth-names.js';

/** Where the host's DNS and hosts files are read from (tests point these elsewhere). */
export interface HostNetworkFiles {
  readonly resolvConf: string;
  readonly resolvedUpstream: string;
  readonly hosts: string;
}

export const HOST_NETWORK_FILES: HostNetworkFiles = {
  resolvConf: '/etc/resolv.conf',
  resolvedUpstream: '/run/systemd/resolve/resolv.conf',
  hosts: '/etc/hosts',
};

export interface BridgeDriverOptions {
  readonly config: KokerConfig;
  readonly log: Logger;
  readonly syscalls: Syscalls;
  readonly iptables?: Iptables;
  readonly hostFiles?: HostNetworkFiles;
  /** How long verified bridge rules are trusted before `iptables-save` checks them again. */
  readonly rulesCheckIntervalMs?: number;
}

const CONTAINER_IF = 'eth0';

/**
 * A bridge with veth pairs, IPAM, iptables NAT and port publishing; also `none` and `host`.
 *
 * Layout, all under the run root (`/run/koker`, a tmpfs: a container's network does not outlive a
 * reboot, and neither does this state): `network/<bridge>/leases.json` (+ `lock`) holds every
 * address and host port in use; `network/containers/<id>.json` records what a container's
 * network is made of; `netns/<id>` pins its network namespace.
 */
export class BridgeNetworkDriver implements NetworkDriver {
  readonly name = 'bridge';
  private readonly log: Logger;
  private readonly iptables: Iptables;
  private readonly netns: NetnsFiles;
  private readonly records: AttachmentRecords;
  private readonly hostFiles: HostNetworkFiles;

  constructor(private readonly options: BridgeDriverOptions) {
    this.log = options.log;
    this.iptables = options.iptables ?? new Iptables(options.log);
    this.netns = new NetnsFiles(options.syscalls, options.log);
    this.records = new AttachmentRecords(join(this.networkDir, 'containers'));
    this.hostFiles = options.hostFiles ?? HOST_NETWORK_FILES;
  }

  private get networkDir(): string {
    return join(this.options.config.runRoot, 'network');
  }

  private netnsPath(id: ContainerId): string {
    return join(this.options.config.runRoot, 'netns', id);
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
      markerPath: this.bridgePaths(bridge).rulesChecked,
      intervalMs: this.options.rulesCheckIntervalMs ?? 60_000,
    });
  }

  private bridgePaths(bridge: string) {
    const dir = join(this.networkDir, bridge);
    return {
      leases: join(dir, 'leases.json'),
      lock: join(dir, 'lock'),
      rulesChecked: join(dir, 'rules-checked.json'),
    };
  }

  /**
   * Runs `work` holding the bridge's lock. 60 s, not the usual 30: the holder may be reclaiming
   * the networks of many gone containers, an iptables batch each.
   */
  private async withBridgeLock<T>(bridge: string, work: () => Promise<T>): Promise<T> {
    const { lock } = this.bridgePaths(bridge);
    await mkdir(dirname(lock), { recursive: true, mode: 0o700 });
    return withFileLock(
      lock,
      { timeoutMs: 60_000, log: this.log, what: `the leases of bridge ${bridge}` },
      work,
    );
  }

  async attach(id: ContainerId, request: NetworkRequest): Promise<NetworkAttachment> {
    const dns = parseDnsServers(request.dns);
    switch (request.mode) {
      case 'host':
        if (request.ports.length > 0) this.log.warn('Published ports are ignored with --network host');
        return {
          mode: 'host',
          ports: [],
          resolvConf: this.resolvConf(dns, true),
          hostsEntries: hostHostsEntries(readFileSync(this.hostFiles.hosts, 'utf8')),
        };
      case 'none':
        // The launcher creates the namespace in its clone() and brings lo up: nothing to pin,
        // nothing to clean up, and no system call from this process.
        if (request.ports.length > 0) this.log.warn('Published ports are ignored with --network none');
        return {
          mode: 'none',
          ports: [],
          resolvConf: this.resolvConf(dns, false),
          hostsEntries: containerHostsEntries({ hostname: request.hostname, name: request.name }),
        };
      case 'bridge':
        return this.attachBridge(id, request, dns);
      default:
        throw new InvalidValueError('network mode', String(request.mode), 'expected bridge, none or host');
    }
  }

  private resolvConf(dns: readonly string[], shareHostNetwork: boolean): string {
    const host = readFileSync(this.hostFiles.resolvConf, 'utf8');
    const resolved = readFileSyncOptional(this.hostFiles.resolvedUpstream);
    const result = containerResolvConf(
      { host, ...(resolved !== undefined ? { resolvedUpstream: resolved } : {}) },
      dns,
      shareHostNetwork,
    );
    this.log.debug({ source: result.source }, 'Copy nameserver config');
    return result.text;
  }

  private async attachBridge(
    id: ContainerId,
    request: NetworkRequest,
    dns: string[],
  ): Promise<NetworkAttachment> {
    const settings = this.settings();
    const wanted = validatePortMappings(request.ports);
    const netns = this.netnsPath(id);
    const resolvConf = this.resolvConf(dns, false);
    const { bridge, record } = await this.withBridgeLock(settings.name, () =>
      this.lease(id, settings, wanted, netns),
    );
    const ip = record.ipAddress as string;
    try {
      this.connect(settings, bridge, record.hostVeth as string, ip, netns);
      await this.iptables.add(portRules(id, settings.name, ip, record.ports));
    } catch (error) {
      await this.detach(id).catch((cleanup: Error) =>
        this.log.warn({ err: cleanup }, 'Could not undo a half-made container network'),
      );
      throw error;
    }
    return {
      mode: 'bridge',
      netnsPath: netns,
      ipAddress: ip,
      prefixLength: settings.subnet.prefixLength,
      gateway: formatIpv4(settings.subnet.gateway),
      bridge: settings.name,
      ports: record.ports,
      resolvConf,
      hostsEntries: containerHostsEntries({ hostname: request.hostname, name: request.name, ipAddress: ip }),
    };
  }

  /**
   * Under the bridge's lock: the bridge itself, leases of gone containers reclaimed, then an
   * address, the host ports and veth names for this one, recorded before anything is created.
   */
  private async lease(
    id: ContainerId,
    settings: BridgeSettings,
    wanted: readonly PortMapping[],
    netns: string,
  ): Promise<{ bridge: LinkInfo; record: AttachmentRecord }> {
    const rt = new RtNetlink();
    try {
      const bridge = await this.bridgeSetup(settings.name).ensure(rt, settings);
      const table = await this.reclaim(settings, await this.readLeases(settings), rt);
      if (table.leases.some((l) => l.id === id) || (await this.records.read(id)))
        throw new ConflictError(`container ${id.slice(0, 12)} already has a network`);
      const ip = nextFreeAddress(table, settings.subnet);
      const ports = await this.claimPorts(table, wanted);
      const hostVeth = this.freeVethName(rt, id);
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
      await this.records.write(record);
      const lease: Lease = { id, ip, ports, netns, owner: currentProcess() };
      this.log.debug({ bridge: settings.name, ip }, 'Lease IP address');
      try {
        await this.writeLeases(settings, withLease(table, lease, settings.subnet));
      } catch (error) {
        await this.records.remove(id);
        throw error;
      }
      return { bridge, record };
    } finally {
      rt.close();
    }
  }

  /** Host ports for each mapping: the one asked for if free, else (port 0) one the kernel offers. */
  private async claimPorts(table: LeaseTable, wanted: readonly PortMapping[]): Promise<PortMapping[]> {
    const claimed: PortMapping[] = [];
    for (const port of wanted) {
      if (port.hostPort === 0) {
        const held = [...claimed, ...table.leases.flatMap((l) => l.ports)];
        const taken = (candidate: number) =>
          held.some((c) => c.protocol === port.protocol && c.hostPort === candidate);
        claimed.push({ ...port, hostPort: await pickFreeHostPort(port.protocol, port.hostIp, taken) });
        continue;
      }
      const holder = portHolder(table, port);
      if (holder) {
        throw new ConflictError(
          `host port ${port.hostIp}:${port.hostPort}/${port.protocol} is already published by container ${holder.id.slice(0, 12)}`,
          { hint: 'publish on another host port, or remove that container' },
        );
      }
      await assertHostPortFree(port.protocol, port.hostIp, port.hostPort);
      claimed.push({ ...port });
    }
    return claimed;
  }

  private freeVethName(rt: RtNetlink, id: ContainerId): string {
    for (const name of vethNameCandidates(id)) {
      if (!rt.link(name)) return name;
      this.log.debug({ virt: name }, 'Veth name is taken, trying the next');
    }
    throw new ConflictError(`every veth name derived from container ${id.slice(0, 12)} is taken`);
  }

  /**
   * The namespace, then the veth pair with its inner end born inside it as eth0, then eth0's
   * address and route: every step one netlink request, no process started.
   */
  private connect(
    settings: BridgeSettings,
    bridge: LinkInfo,
    hostName: string,
    ip: string,
    netns: string,
  ): void {
    const { subnet } = settings;
    const rt = new RtNetlink();
    try {
      // A socket opened inside the new namespace keeps configuring it after we step back out.
      const inner = this.netns.create(netns, () => new RtNetlink());
      try {
        const fd = this.netns.open(netns);
        try {
          this.log.debug({ netns, peer: CONTAINER_IF, virt: hostName }, 'Setup virtual ethernet');
          rt.createVethPair(hostName, { name: CONTAINER_IF, netnsFd: fd }, bridge.mtu);
        } finally {
          closeSync(fd);
        }
        const host = rt.requireLink(hostName);
        this.log.debug({ link: hostName, master: settings.name }, 'Set the master of the link device');
        rt.setMaster(host, bridge);
        const eth = inner.requireLink(CONTAINER_IF);
        this.log.debug(
          { ip: `${ip}/${subnet.prefixLength}`, link: CONTAINER_IF },
          'Add IP address to the ip device',
        );
        inner.addAddress(eth, {
          ip,
          prefixLength: subnet.prefixLength,
          broadcast: formatIpv4(subnet.broadcast),
        });
        this.log.debug({ link: CONTAINER_IF }, 'Enable the link device');
        inner.setUp(eth);
        const gateway = formatIpv4(subnet.gateway);
        this.log.debug({ gateway, link: CONTAINER_IF }, 'Set gateway for the link device');
        inner.addDefaultRoute(gateway, eth);
        this.log.debug({ link: 'lo' }, 'Enable the link device');
        inner.setUp(inner.requireLink('lo'));
        this.log.debug({ link: hostName }, 'Enable the link device');
        rt.setUp(host);
      } finally {
        inner.close();
      }
    } finally {
      rt.close();
    }
  }

  async detach(id: ContainerId): Promise<void> {
    const record = await this.records.read(id);
    // `--network none|host` (and a second detach) leave nothing: no system call, no process.
    if (!record && !(await this.holdsAnything(id))) return;
    const rt = new RtNetlink();
    try {
      await this.teardown(id, record, rt);
    } finally {
      rt.close();
    }
    const bridge = record?.bridge ?? (record ? undefined : this.options.config.network.bridge);
    if (bridge !== undefined && isValidLinkName(bridge)) {
      await this.withBridgeLock(bridge, async () => {
        const text = await readOptionalFile(this.bridgePaths(bridge).leases);
        if (text === undefined) return;
        const table = parseLeaseTable(text, this.bridgePaths(bridge).leases);
        if (!table.leases.some((l) => l.id === id)) return;
        this.log.debug({ bridge, container: id.slice(0, 12) }, 'Release IP address');
        await writeFileAtomicJson(this.bridgePaths(bridge).leases, withoutLeases(table, new Set([id])));
      });
    }
    await this.records.remove(id);
  }

  /** Without a record: whether a namespace file or a lease of the configured bridge is left. */
  private async holdsAnything(id: ContainerId): Promise<boolean> {
    if (existsSync(this.netnsPath(id))) return true;
    const { bridge } = this.options.config.network;
    if (!isValidLinkName(bridge)) return false;
    const path = this.bridgePaths(bridge).leases;
    const text = await readOptionalFile(path);
    return text !== undefined && parseLeaseTable(text, path).leases.some((l) => l.id === id);
  }

  /**
   * Removes a container's rules, veth and namespace (its lease is the caller's business). Works
   * from the record, or without one from the names koker derives from the ID.
   */
  private async teardown(
    id: ContainerId,
    record: AttachmentRecord | undefined,
    rt: RtNetlink,
  ): Promise<void> {
    // The recorded rules go in one batch; without a record, or if some rule went missing, koker
    // reads what is there and deletes every rule carrying the container's comment.
    const recorded =
      record?.bridge && record.ipAddress
        ? portRules(id, record.bridge, record.ipAddress, record.ports)
        : undefined;
    if (!recorded || !(await this.iptables.deleteIfAllPresent(recorded))) {
      const prefix = containerCommentPrefix(id);
      await this.iptables.delete(
        (await this.iptables.kokerRules()).filter((r) => r.comment.startsWith(prefix)),
      );
    }
    const hostNames = record?.hostVeth ? [record.hostVeth] : vethNameCandidates(id);
    for (const name of hostNames) {
      const link = rt.link(name);
      if (link?.kind !== 'veth') continue;
      this.log.debug({ link: name }, 'Delete the link device');
      rt.deleteLink(link); // its peer, eth0 in the container, goes with it
    }
    this.netns.remove(record?.netns ?? this.netnsPath(id));
  }

  /**
   * Leases whose container is gone: no namespace pinned and the process that took the lease has
   * ended (a crash, or a reboot). Their rules and links are removed before the address is reused.
   */
  private async reclaim(settings: BridgeSettings, table: LeaseTable, rt: RtNetlink): Promise<LeaseTable> {
    const gone = table.leases.filter((l) => !isAlive(l.owner) && !this.netns.isPinned(l.netns));
    if (gone.length === 0) return table;
    for (const lease of gone) {
      this.log.info(
        { container: lease.id.slice(0, 12), ip: lease.ip },
        'Reclaim the network of a container that is gone',
      );
      const record = await this.records.read(lease.id).catch(() => undefined);
      await this.teardown(lease.id, record, rt);
      await this.records.remove(lease.id);
    }
    const after = withoutLeases(table, new Set(gone.map((l) => l.id)));
    await this.writeLeases(settings, after);
    return after;
  }

  private async readLeases(settings: BridgeSettings): Promise<LeaseTable> {
    const path = this.bridgePaths(settings.name).leases;
    const text = await readOptionalFile(path);
    if (text === undefined) return emptyLeaseTable(settings.subnet);
    const table = parseLeaseTable(text, path);
    if (table.subnet === settings.subnet.cidr) return table;
    if (table.leases.length > 0) {
      throw new ConflictError(
        `bridge ${settings.name} has ${table.leases.length} containers in ${table.subnet}, but the configured subnet is ${settings.subnet.cidr}`,
        { hint: 'remove those containers first, or keep the old subnet' },
      );
    }
    return emptyLeaseTable(settings.subnet);
  }

  private async writeLeases(settings: BridgeSettings, table: LeaseTable): Promise<void> {
    await writeFileAtomicJson(this.bridgePaths(settings.name).leases, table);
  }

  async list(): Promise<ContainerId[]> {
    const ids = new Set<ContainerId>(await this.records.ids());
    try {
      for (const name of await readdir(join(this.options.config.runRoot, 'netns'))) {
        try {
          ids.add(parseContainerId(name));
        } catch {
          // not a container's namespace file
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const { bridge } = this.options.config.network;
    if (isValidLinkName(bridge)) {
      const path = this.bridgePaths(bridge).leases;
      const text = await readOptionalFile(path);
      if (text !== undefined) for (const lease of parseLeaseTable(text, path).leases) ids.add(lease.id);
    }
    return [...ids];
  }

  /**
   * Deletes the configured bridge and its rules, once no container holds a lease on it
   * (`koker system prune`, and tests that bring their own bridge).
   */
  async removeBridge(): Promise<void> {
    const settings = this.settings();
    const paths = this.bridgePaths(settings.name);
    await this.withBridgeLock(settings.name, async () => {
      const rt = new RtNetlink();
      try {
        const table = await this.reclaim(settings, await this.readLeases(settings), rt);
        if (table.leases.length > 0) {
          throw new ConflictError(`bridge ${settings.name} is in use by ${table.leases.length} containers`, {
            hint: 'remove them first',
          });
        }
        await this.bridgeSetup(settings.name).remove(rt, settings);
      } finally {
        rt.close();
      }
      await rm(paths.leases, { force: true });
    });
    await rm(join(this.networkDir, settings.name), { recursive: true, force: true });
  }
}

function writeFileAtomicJson(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function readFileSyncOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
