import { ipv4Bytes } from '../ipam/ipv4.js';
import {
  AF_INET,
  AF_UNSPEC,
  IFF_UP,
  Ifa,
  Ifla,
  IflaInfo,
  NlmFlag,
  RTN_UNICAST,
  RTPROT_BOOT,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  Rta,
  RtmType,
  VETH_INFO_PEER,
} from './constants.js';
import {
  attr,
  cString,
  encodeAttributes,
  encodeMessage,
  i32,
  u16,
  u32,
  type NetlinkAttribute,
} from './message.js';

/**
 * Pure builders of rtnetlink requests: each returns the bytes `ip link|addr|route` would send
 * for the same change. Every change asks for an ACK so that failures carry an errno.
 */

const ACKED = NlmFlag.request | NlmFlag.ack;
const CREATE = ACKED | NlmFlag.create | NlmFlag.excl;

export function ifinfomsg(fields: { index?: number; flags?: number; change?: number } = {}): Buffer {
  return Buffer.concat([
    Buffer.from([AF_UNSPEC, 0]),
    u16(0),
    i32(fields.index ?? 0),
    u32(fields.flags ?? 0),
    u32(fields.change ?? 0),
  ]);
}

function ifaddrmsg(prefixLength: number, index: number): Buffer {
  return Buffer.concat([Buffer.from([AF_INET, prefixLength, 0, RT_SCOPE_UNIVERSE]), u32(index)]);
}

function rtmsg(fields: { family: number; dstLength: number; table: number }): Buffer {
  return Buffer.concat([
    Buffer.from([
      fields.family,
      fields.dstLength,
      0,
      0,
      fields.table,
      RTPROT_BOOT,
      RT_SCOPE_UNIVERSE,
      RTN_UNICAST,
    ]),
    u32(0),
  ]);
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((octet) => Number.parseInt(octet, 16)));
}

/** `ip link show NAME` */
export function getLinkByName(seq: number, name: string): Buffer {
  return encodeMessage({
    type: RtmType.getLink,
    flags: ACKED,
    seq,
    header: ifinfomsg(),
    attributes: [attr(Ifla.ifname, cString(name))],
  });
}

/** `ip link add NAME [address MAC] [mtu N] type bridge` */
export function newBridge(seq: number, name: string, options: { mtu?: number; mac?: string } = {}): Buffer {
  const attributes: NetlinkAttribute[] = [attr(Ifla.ifname, cString(name))];
  if (options.mac) attributes.push(attr(Ifla.address, macBytes(options.mac)));
  if (options.mtu) attributes.push(attr(Ifla.mtu, u32(options.mtu)));
  attributes.push(attr(Ifla.linkinfo, [attr(IflaInfo.kind, cString('bridge'))]));
  return encodeMessage({ type: RtmType.newLink, flags: CREATE, seq, header: ifinfomsg(), attributes });
}

/**
 * `ip link add NAME mtu N type veth peer name PEER mtu N [address MAC] [netns FD]`: with a namespace, the peer
 * is born inside it (no move, which costs the kernel an RCU grace period).
 */
export function newVethPair(
  seq: number,
  name: string,
  peer: { name: string; netnsFd?: number; mac?: string },
  mtu?: number,
): Buffer {
  const mtuAttr = mtu ? [attr(Ifla.mtu, u32(mtu))] : [];
  const peerAttributes = [attr(Ifla.ifname, cString(peer.name)), ...mtuAttr];
  if (peer.mac) peerAttributes.push(attr(Ifla.address, macBytes(peer.mac)));
  if (peer.netnsFd !== undefined) peerAttributes.push(attr(Ifla.netNsFd, u32(peer.netnsFd)));
  // The peer is described by a whole ifinfomsg followed by its attributes, inside VETH_INFO_PEER.
  const peerInfo = Buffer.concat([ifinfomsg(), encodeAttributes(peerAttributes)]);
  return encodeMessage({
    type: RtmType.newLink,
    flags: CREATE,
    seq,
    header: ifinfomsg(),
    attributes: [
      attr(Ifla.ifname, cString(name)),
      ...mtuAttr,
      attr(Ifla.linkinfo, [
        attr(IflaInfo.kind, cString('veth')),
        attr(IflaInfo.data, [attr(VETH_INFO_PEER, peerInfo)]),
      ]),
    ],
  });
}

/** `ip link set dev INDEX master MASTER` */
export function setMaster(seq: number, index: number, masterIndex: number): Buffer {
  return encodeMessage({
    type: RtmType.newLink,
    flags: ACKED,
    seq,
    header: ifinfomsg({ index }),
    attributes: [attr(Ifla.master, u32(masterIndex))],
  });
}

/** `ip link set dev INDEX netns FD` */
export function setNetns(seq: number, index: number, netnsFd: number): Buffer {
  return encodeMessage({
    type: RtmType.newLink,
    flags: ACKED,
    seq,
    header: ifinfomsg({ index }),
    attributes: [attr(Ifla.netNsFd, u32(netnsFd))],
  });
}

/** `ip link set dev INDEX name NAME` */
export function rename(seq: number, index: number, name: string): Buffer {
  return encodeMessage({
    type: RtmType.newLink,
    flags: ACKED,
    seq,
    header: ifinfomsg({ index }),
    attributes: [attr(Ifla.ifname, cString(name))],
  });
}

/** `ip link set dev INDEX up` */
export function setUp(seq: number, index: number): Buffer {
  return encodeMessage({
    type: RtmType.newLink,
    flags: ACKED,
    seq,
    header: ifinfomsg({ index, flags: IFF_UP, change: IFF_UP }),
  });
}

/** `ip link del dev INDEX` */
export function delLink(seq: number, index: number): Buffer {
  return encodeMessage({ type: RtmType.delLink, flags: ACKED, seq, header: ifinfomsg({ index }) });
}

/** `ip addr add IP/PREFIX broadcast BRD dev INDEX` */
export function newAddress(
  seq: number,
  index: number,
  address: { ip: string; prefixLength: number; broadcast: string },
): Buffer {
  return encodeMessage({
    type: RtmType.newAddr,
    flags: CREATE,
    seq,
    header: ifaddrmsg(address.prefixLength, index),
    attributes: [
      attr(Ifa.local, ipv4Bytes(address.ip)),
      attr(Ifa.address, ipv4Bytes(address.ip)),
      attr(Ifa.broadcast, ipv4Bytes(address.broadcast)),
    ],
  });
}

/** `ip -4 addr show` */
export function dumpAddresses(seq: number): Buffer {
  return encodeMessage({
    type: RtmType.getAddr,
    flags: NlmFlag.request | NlmFlag.dump,
    seq,
    header: ifaddrmsg(0, 0),
  });
}

/** `ip route add default via GATEWAY dev INDEX` */
export function newDefaultRoute(seq: number, gateway: string, index: number): Buffer {
  return encodeMessage({
    type: RtmType.newRoute,
    flags: CREATE,
    seq,
    header: rtmsg({ family: AF_INET, dstLength: 0, table: RT_TABLE_MAIN }),
    attributes: [attr(Rta.gateway, ipv4Bytes(gateway)), attr(Rta.oif, u32(index))],
  });
}

/** `ip -4 route show table all` */
export function dumpRoutes(seq: number): Buffer {
  return encodeMessage({
    type: RtmType.getRoute,
    flags: NlmFlag.request | NlmFlag.dump,
    seq,
    header: rtmsg({ family: AF_INET, dstLength: 0, table: 0 }),
  });
}

/** `ip link show` */
export function dumpLinks(seq: number): Buffer {
  return encodeMessage({
    type: RtmType.getLink,
    flags: NlmFlag.request | NlmFlag.dump,
    seq,
    header: ifinfomsg(),
  });
}

/** `ip link set dev INDEX mtu N` */
export function setMtu(seq: number, index: number, mtu: number): Buffer {
  return encodeMessage({
    type: RtmType.newLink,
    flags: ACKED,
    seq,
    header: ifinfomsg({ index }),
    attributes: [attr(Ifla.mtu, u32(mtu))],
  });
}
