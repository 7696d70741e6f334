import { closeSync } from 'node:fs';
import {
  ConflictError,
  NotFoundError,
  type ConnectRequest,
  type ContainerId,
  type Logger,
} from '@koker/core';
import { freeVethName } from '../attach/connect-container.js';
import { type BridgeSettings, type BridgeSetup } from '../bridge-setup.js';
import { type GoneLeaseReclaimer } from '../cleanup/reclaim-gone.js';
import { chosenAddress, nextFreeAddress, withLease, type Lease } from '../ipam/lease-table.js';
import { formatIpv4, macForAddress } from '../ipam/ipv4.js';
import { RtNetlink } from '../netlink/rtnetlink.js';
import { type NetnsFiles } from '../netns/netns-files.js';
import { type ConnectionRecord } from '../state/connection-record.js';
import { type NetworkState } from '../state/network-state.js';
import { currentProcess } from '../state/process-owner.js';

export interface ConnectionParts {
  readonly log: Logger;
  readonly state: NetworkState;
  readonly netns: NetnsFiles;
  readonly reclaimer: GoneLeaseReclaimer;
  readonly bridgeSetup: (bridge: string) => BridgeSetup;
}

/**
 * `network connect` / `disconnect` on a running container: a veth into its live namespace, its
 * inner end `eth<N>` (the first free), an address and no route (the default route stays on the
 * network it was started on). The lease (with its names) and the record under the bridge's lock
 * first, as for attach; the links after, undone on failure.
 */
export class NetworkConnections {
  constructor(private readonly parts: ConnectionParts) {}

  async connect(
    network: string,
    settings: BridgeSettings,
    id: ContainerId,
    request: ConnectRequest,
  ): Promise<string> {
    const { log, state } = this.parts;
    const store = state.leases(settings.name);
    const { record, mtu } = await store.locked(async () => {
      const rt = new RtNetlink();
      try {
        const bridge = await this.parts.bridgeSetup(settings.name).ensure(rt, settings);
        const table = await this.parts.reclaimer.reclaim(store, await store.forSubnet(settings.subnet), rt);
        if (table.leases.some((l) => l.id === id))
          throw new ConflictError(`endpoint with name ${request.name} already exists in network ${network}`);
        const ip =
          request.ip === undefined
            ? nextFreeAddress(table, settings.subnet)
            : chosenAddress(table, settings.subnet, request.ip);
        const record: ConnectionRecord = {
          version: 1,
          id,
          bridge: settings.name,
          hostVeth: freeVethName(rt, id, log),
          ip,
        };
        await state.connections.write(record);
        const lease: Lease = {
          id,
          ip,
          ports: [],
          netns: request.netnsPath,
          owner: currentProcess(),
          runRoot: state.runRoot,
          connected: true,
          names: [...new Set([request.name, ...(request.aliases ?? [])].filter(Boolean))],
        };
        log.debug({ bridge: settings.name, ip }, 'Lease IP address');
        const after = withLease(table, lease, settings.subnet);
        await store.write(after);
        return { record, mtu: bridge.mtu };
      } finally {
        rt.close();
      }
    });
    try {
      this.link(settings, record, request.netnsPath, mtu);
    } catch (error) {
      await this.disconnect(network, settings, id).catch((cleanup: Error) =>
        log.warn({ err: cleanup }, 'Could not undo a half-made network connection'),
      );
      throw error;
    }
    return record.ip;
  }

  private link(settings: BridgeSettings, record: ConnectionRecord, netnsPath: string, mtu?: number): void {
    const { log, netns } = this.parts;
    const rt = new RtNetlink();
    const inner = netns.enter(netnsPath, () => new RtNetlink());
    try {
      const taken = new Set(inner.links().map((l) => l.name));
      let n = 0;
      while (taken.has(`eth${n}`)) n++;
      const ifname = `eth${n}`;
      const fd = netns.open(netnsPath);
      try {
        log.debug({ netns: netnsPath, peer: ifname, virt: record.hostVeth }, 'Setup virtual ethernet');
        rt.createVethPair(record.hostVeth, { name: ifname, netnsFd: fd, mac: macForAddress(record.ip) }, mtu);
      } finally {
        closeSync(fd);
      }
      const bridge = rt.requireLink(settings.name);
      const host = rt.requireLink(record.hostVeth);
      log.debug({ link: record.hostVeth, master: settings.name }, 'Set the master of the link device');
      rt.setMaster(host, bridge);
      const eth = inner.requireLink(ifname);
      log.debug(
        { ip: `${record.ip}/${settings.subnet.prefixLength}`, link: ifname },
        'Add IP address to the ip device',
      );
      inner.addAddress(eth, {
        ip: record.ip,
        prefixLength: settings.subnet.prefixLength,
        broadcast: formatIpv4(settings.subnet.broadcast),
      });
      log.debug({ link: ifname }, 'Enable the link device');
      inner.setUp(eth);
      log.debug({ link: record.hostVeth }, 'Enable the link device');
      rt.setUp(host);
    } finally {
      inner.close();
      rt.close();
    }
  }

  /** The veth (its inner end goes with it), the lease (and its names in the resolver), the record. */
  async disconnect(network: string, settings: BridgeSettings, id: ContainerId): Promise<void> {
    const { state } = this.parts;
    const record = await state.connections.read(id, settings.name);
    if (!record)
      throw new NotFoundError(`container ${id.slice(0, 12)} is not connected to network ${network}`);
    await this.undo(record);
  }

  /** Every connection of a container (its teardown), from the records alone. */
  async disconnectAll(id: ContainerId): Promise<void> {
    for (const bridge of await this.parts.state.connections.bridges(id)) {
      const record = await this.parts.state.connections.read(id, bridge).catch(() => undefined);
      if (record) await this.undo(record);
      else await this.parts.state.connections.remove(id, bridge);
    }
  }

  private async undo(record: ConnectionRecord): Promise<void> {
    const { log, state } = this.parts;
    const rt = new RtNetlink();
    try {
      const link = rt.link(record.hostVeth);
      if (link?.kind === 'veth') {
        log.debug({ link: record.hostVeth }, 'Delete the link device');
        rt.deleteLink(link);
      }
    } finally {
      rt.close();
    }
    await state.leases(record.bridge).release(record.id);
    await state.connections.remove(record.id, record.bridge);
  }
}
