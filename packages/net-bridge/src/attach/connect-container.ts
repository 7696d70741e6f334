import { closeSync } from 'node:fs';
import { ConflictError, type ContainerId, type Logger } from '@koker/core';
import { type BridgeSettings } from '../bridge-setup.js';
import { formatIpv4, macForAddress } from '../ipam/ipv4.js';
import { type LinkInfo } from '../netlink/route-replies.js';
import { RtNetlink } from '../netlink/rtnetlink.js';
import { type NetnsFiles } from '../netns/netns-files.js';
import { vethNameCandidates } from '../veth-names.js';

/** The container's end of its veth pair. */
const CONTAINER_IF = 'eth0';

/** The first veth name derived from the ID that no link of the host has. */
export function freeVethName(rt: RtNetlink, id: ContainerId, log: Logger): string {
  for (const name of vethNameCandidates(id)) {
    if (!rt.link(name)) return name;
    log.debug({ virt: name }, 'Veth name is taken, trying the next');
  }
  throw new ConflictError(`every veth name derived from container ${id.slice(0, 12)} is taken`);
}

export interface ContainerLink {
  readonly settings: BridgeSettings;
  readonly bridge: LinkInfo;
  /** The host end of the veth pair. */
  readonly hostVeth: string;
  readonly ip: string;
  /** Where the new namespace is pinned. */
  readonly netns: string;
}

/**
 * The namespace, then the veth pair with its inner end born inside it as eth0, then eth0's
 * address and route: every step one netlink request, no process started.
 */
export function connectContainer(netnsFiles: NetnsFiles, log: Logger, link: ContainerLink): void {
  const { settings, bridge, hostVeth, ip, netns } = link;
  const { subnet } = settings;
  const rt = new RtNetlink();
  try {
    // A socket opened inside the new namespace keeps configuring it after we step back out.
    const inner = netnsFiles.create(netns, () => new RtNetlink());
    try {
      const fd = netnsFiles.open(netns);
      try {
        log.debug({ netns, peer: CONTAINER_IF, virt: hostVeth }, 'Setup virtual ethernet');
        rt.createVethPair(hostVeth, { name: CONTAINER_IF, netnsFd: fd, mac: macForAddress(ip) }, bridge.mtu);
      } finally {
        closeSync(fd);
      }
      const host = rt.requireLink(hostVeth);
      log.debug({ link: hostVeth, master: settings.name }, 'Set the master of the link device');
      rt.setMaster(host, bridge);
      const eth = inner.requireLink(CONTAINER_IF);
      log.debug(
        { ip: `${ip}/${subnet.prefixLength}`, link: CONTAINER_IF },
        'Add IP address to the ip device',
      );
      inner.addAddress(eth, {
        ip,
        prefixLength: subnet.prefixLength,
        broadcast: formatIpv4(subnet.broadcast),
      });
      log.debug({ link: CONTAINER_IF }, 'Enable the link device');
      inner.setUp(eth);
      const gateway = formatIpv4(subnet.gateway);
      log.debug({ gateway, link: CONTAINER_IF }, 'Set gateway for the link device');
      inner.addDefaultRoute(gateway, eth);
      log.debug({ link: 'lo' }, 'Enable the link device');
      inner.setUp(inner.requireLink('lo'));
      log.debug({ link: hostVeth }, 'Enable the link device');
      rt.setUp(host);
    } finally {
      inner.close();
    }
  } finally {
    rt.close();
  }
}
