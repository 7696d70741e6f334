import { NetlinkError } from './netlink-error.js';
import { NetlinkSocket } from './netlink-socket.js';
import {
  decodeAddress,
  decodeLink,
  decodeRoute,
  type AddressInfo,
  type LinkInfo,
  type RouteInfo,
} from './route-replies.js';
import * as request from './route-messages.js';

const ENODEV = 19;

/** Links, addresses and routes of one network namespace, through one netlink socket. */
export class RtNetlink {
  constructor(private readonly socket: NetlinkSocket = NetlinkSocket.open()) {}

  link(name: string): LinkInfo | undefined {
    try {
      const [reply] = this.socket.request(`get link ${name}`, (seq) => request.getLinkByName(seq, name));
      return reply ? decodeLink(reply) : undefined;
    } catch (error) {
      if (error instanceof NetlinkError && error.errno === ENODEV) return undefined;
      throw error;
    }
  }

  /** Like `link`, for a link that must exist. */
  requireLink(name: string): LinkInfo {
    const link = this.link(name);
    if (!link) throw new NetlinkError(`get link ${name}`, ENODEV);
    return link;
  }

  createBridge(name: string, options: { mtu?: number; mac?: string }): void {
    this.socket.request(`create bridge ${name}`, (seq) => request.newBridge(seq, name, options));
  }

  /** A veth pair; with `netnsFd` the peer is created directly in that namespace. */
  createVethPair(name: string, peer: { name: string; netnsFd?: number; mac?: string }, mtu?: number): void {
    this.socket.request(`create veth ${name} peer ${peer.name}`, (seq) =>
      request.newVethPair(seq, name, peer, mtu),
    );
  }

  setMaster(link: LinkInfo, master: LinkInfo): void {
    this.socket.request(`set master of ${link.name} to ${master.name}`, (seq) =>
      request.setMaster(seq, link.index, master.index),
    );
  }

  moveToNetns(link: LinkInfo, netnsFd: number): void {
    this.socket.request(`move ${link.name} to a network namespace`, (seq) =>
      request.setNetns(seq, link.index, netnsFd),
    );
  }

  rename(link: LinkInfo, name: string): void {
    this.socket.request(`rename ${link.name} to ${name}`, (seq) => request.rename(seq, link.index, name));
  }

  setUp(link: LinkInfo): void {
    this.socket.request(`set ${link.name} up`, (seq) => request.setUp(seq, link.index));
  }

  setMtu(link: LinkInfo, mtu: number): void {
    this.socket.request(`set mtu of ${link.name} to ${mtu}`, (seq) => request.setMtu(seq, link.index, mtu));
  }

  deleteLink(link: LinkInfo): void {
    this.socket.request(`delete link ${link.name}`, (seq) => request.delLink(seq, link.index));
  }

  addAddress(link: LinkInfo, address: { ip: string; prefixLength: number; broadcast: string }): void {
    this.socket.request(`add address ${address.ip}/${address.prefixLength} to ${link.name}`, (seq) =>
      request.newAddress(seq, link.index, address),
    );
  }

  addresses(): AddressInfo[] {
    return this.socket
      .request('list addresses', (seq) => request.dumpAddresses(seq))
      .map(decodeAddress)
      .filter((a): a is AddressInfo => a !== undefined);
  }

  addDefaultRoute(gateway: string, link: LinkInfo): void {
    this.socket.request(`add default route via ${gateway} dev ${link.name}`, (seq) =>
      request.newDefaultRoute(seq, gateway, link.index),
    );
  }

  routes(): RouteInfo[] {
    return this.socket
      .request('list routes', (seq) => request.dumpRoutes(seq))
      .map(decodeRoute)
      .filter((r): r is RouteInfo => r !== undefined);
  }

  links(): LinkInfo[] {
    return this.socket
      .request('list links', (seq) => request.dumpLinks(seq))
      .map(decodeLink)
      .filter((l): l is LinkInfo => l !== undefined);
  }

  close(): void {
    this.socket.close();
  }
}
