import { randomBytes } from 'node:crypto';
import { HostError, type Logger } from '@koker/core';
import { writeFileAtomic } from '@koker/host';
import { formatIpv4, parseIpv4 } from './ipam/ipv4.js';
import { rangesOverlap, type Subnet } from './ipam/subnet.js';
import { type Iptables } from './iptables/iptables.js';
import { bridgeComment, bridgeRules } from './iptables/rules.js';
import { setKernelParameter } from './kernel-parameter.js';
import { readOptionalFile } from './state/optional-file.js';
import { currentProcess } from './state/process-owner.js';
import { IFF_UP, RT_TABLE_MAIN } from './netlink/constants.js';
import { type LinkInfo } from './netlink/route-replies.js';
import { type RtNetlink } from './netlink/rtnetlink.js';

export interface BridgeSettings {
  readonly name: string;
  readonly subnet: Subnet;
  /** An internal network: no NAT, nothing forwarded in or out. */
  readonly internal?: boolean;
  /** A user network: its containers' names are served by koker-dns on the gateway. */
  readonly resolver?: boolean;
}

const DEFAULT_MTU = 1500;

/** A locally administered unicast MAC: the bridge keeps it, instead of its lowest port's. */
function randomMac(): string {
  const bytes = randomBytes(6);
  bytes[0] = ((bytes[0] as number) & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The bridge every container's veth joins: created or verified (kind, address, up), with its
 * sysctls and its iptables rules (each added once). The caller holds the bridge's lock.
 */
export class BridgeSetup {
  constructor(
    private readonly log: Logger,
    private readonly iptables: Iptables,
    private readonly rulesCheck: { readonly markerPath: string; readonly intervalMs: number },
  ) {}

  async ensure(rt: RtNetlink, settings: BridgeSettings): Promise<LinkInfo> {
    const { name, subnet } = settings;
    const gateway = formatIpv4(subnet.gateway);
    this.log.debug({ bridge: name }, 'Check bridge is up or not');
    let bridge = rt.link(name);
    const created = !bridge;
    if (!bridge) {
      const mtu = this.checkSubnetIsFree(rt, settings);
      const mac = randomMac();
      this.log.debug({ bridge: name, mac }, 'Create bridge device');
      rt.createBridge(name, { mac });
      bridge = rt.requireLink(name);
      // Set after creation, the MTU counts as chosen: the kernel keeps it as ports come and go.
      this.log.debug({ link: name, mtu }, 'Set the MTU of the link device');
      rt.setMtu(bridge, mtu);
      bridge = rt.requireLink(name);
    } else if (bridge.kind !== 'bridge') {
      throw new HostError(`${name} exists on this host and is not a bridge (${bridge.kind ?? 'a device'})`, {
        hint: 'set network.bridge in the koker configuration to a free name',
      });
    }
    const addresses = rt.addresses().filter((a) => a.index === bridge.index);
    if (addresses.length === 0) {
      this.log.debug(
        { ip: `${gateway}/${subnet.prefixLength}`, link: name },
        'Add IP address to the ip device',
      );
      rt.addAddress(bridge, {
        ip: gateway,
        prefixLength: subnet.prefixLength,
        broadcast: formatIpv4(subnet.broadcast),
      });
    } else if (!addresses.some((a) => a.address === gateway && a.prefixLength === subnet.prefixLength)) {
      const found = addresses.map((a) => `${a.address}/${a.prefixLength}`).join(', ');
      throw new HostError(`bridge ${name} has address ${found}, but koker's subnet is ${subnet.cidr}`, {
        hint: `set network.subnet to match, or delete the bridge (ip link del ${name}) so koker recreates it`,
      });
    }
    if ((bridge.flags & IFF_UP) === 0) {
      this.log.debug({ link: name }, 'Enable the link device');
      rt.setUp(bridge);
    }
    setKernelParameter(['net', 'ipv4', 'ip_forward'], '1', this.log);
    // Lets the host's own connections to 127.0.0.1:PORT be DNAT-ed onto the bridge.
    setKernelParameter(['net', 'ipv4', 'conf', name, 'route_localnet'], '1', this.log);
    if (created || !(await this.rulesCheckedRecently(settings))) {
      await this.ensureRules(settings);
      await writeFileAtomic(
        this.rulesCheck.markerPath,
        `${JSON.stringify({ boot: currentProcess().boot, subnet: settings.subnet.cidr, checkedAt: Date.now() })}\n`,
        { durable: false },
      );
    }
    return bridge;
  }

  /**
   * Reading the rules back costs an `iptables-save` (tens of ms from Node): a burst of containers
   * checks them once; later runs re-check after `intervalMs`, and always after a reboot or when
   * the bridge had to be created.
   */
  private async rulesCheckedRecently(settings: BridgeSettings): Promise<boolean> {
    const text = await readOptionalFile(this.rulesCheck.markerPath);
    if (text === undefined) return false;
    try {
      const marker = JSON.parse(text) as { boot?: string; subnet?: string; checkedAt?: number };
      const recent =
        marker.boot === currentProcess().boot &&
        marker.subnet === settings.subnet.cidr &&
        typeof marker.checkedAt === 'number' &&
        Date.now() - marker.checkedAt < this.rulesCheck.intervalMs;
      if (recent) this.log.debug({ bridge: settings.name }, 'Bridge iptables rules were checked recently');
      return recent;
    } catch {
      return false;
    }
  }

  /** Deletes the bridge and its rules (when no container uses it any more). */
  async remove(rt: RtNetlink, settings: BridgeSettings): Promise<void> {
    const prefix = bridgeComment(settings.name, '');
    await this.iptables.delete(
      (await this.iptables.kokerRules()).filter((r) => r.comment.startsWith(prefix)),
    );
    const bridge = rt.link(settings.name);
    if (bridge) {
      this.log.debug({ link: settings.name }, 'Delete bridge device');
      rt.deleteLink(bridge);
    }
  }

  private async ensureRules(settings: BridgeSettings): Promise<void> {
    const present = await this.iptables.kokerRules();
    const missing = bridgeRules(
      settings.name,
      settings.subnet.cidr,
      settings.internal,
      settings.resolver ? formatIpv4(settings.subnet.gateway) : undefined,
    ).filter(
      (rule) =>
        !present.some((p) => p.table === rule.table && p.chain === rule.chain && p.comment === rule.comment),
    );
    await this.iptables.add(missing);
  }

  /**
   * Before creating the bridge: no route of the host may cover the subnet (it would be
   * unreachable, or hide the host's own network). Returns the MTU of the host's default route,
   * so container packets fit the uplink.
   */
  private checkSubnetIsFree(rt: RtNetlink, settings: BridgeSettings): number {
    const routes = rt.routes().filter((r) => r.table === RT_TABLE_MAIN);
    for (const route of routes) {
      if (route.prefixLength === 0) continue;
      const other = { network: parseIpv4(route.destination), prefixLength: route.prefixLength };
      if (rangesOverlap(other, settings.subnet)) {
        throw new HostError(
          `koker's subnet ${settings.subnet.cidr} overlaps the host's route to ${route.destination}/${route.prefixLength}`,
          { hint: 'set network.subnet in the koker configuration to a free private range' },
        );
      }
    }
    const uplink = routes.find((r) => r.prefixLength === 0 && r.outputIndex !== undefined);
    const mtu = uplink ? rt.links().find((l) => l.index === uplink.outputIndex)?.mtu : undefined;
    return mtu && mtu >= 576 ? Math.min(mtu, DEFAULT_MTU) : DEFAULT_MTU;
  }
}
