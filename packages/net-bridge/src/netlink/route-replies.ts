import { ipv4FromBytes } from '../ipam/ipv4.js';
import {
  AF_INET,
  IFADDRMSG_LEN,
  IFINFOMSG_LEN,
  Ifa,
  Ifla,
  IflaInfo,
  RTMSG_LEN,
  Rta,
  RtmType,
} from './constants.js';
import { parseAttributes, readCString, readI32, readU32, type NetlinkMessage } from './message.js';

/** Pure decoders of rtnetlink replies: the few fields koker reads. */

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
  readonly mtu: number;
  /** Index of the bridge this link is a port of. */
  readonly master?: number;
  /** `bridge`, `veth`, ... (absent for plain devices). */
  readonly kind?: string;
}

export interface AddressInfo {
  readonly index: number;
  readonly address: string;
  readonly prefixLength: number;
}

export interface RouteInfo {
  readonly table: number;
  /** Destination network; `0.0.0.0` with length 0 is the default route. */
  readonly destination: string;
  readonly prefixLength: number;
  readonly gateway?: string;
  readonly outputIndex?: number;
}

export function decodeLink(message: NetlinkMessage): LinkInfo | undefined {
  if (message.type !== RtmType.newLink || message.payload.length < IFINFOMSG_LEN) return undefined;
  const attributes = parseAttributes(message.payload.subarray(IFINFOMSG_LEN));
  const name = attributes.get(Ifla.ifname);
  const mtu = attributes.get(Ifla.mtu);
  const master = attributes.get(Ifla.master);
  const linkinfo = attributes.get(Ifla.linkinfo);
  const kind = linkinfo ? parseAttributes(linkinfo).get(IflaInfo.kind) : undefined;
  return {
    index: readI32(message.payload, 4),
    flags: readU32(message.payload, 8),
    name: name ? readCString(name) : '',
    mtu: mtu ? readU32(mtu, 0) : 0,
    ...(master ? { master: readU32(master, 0) } : {}),
    ...(kind ? { kind: readCString(kind) } : {}),
  };
}

export function decodeAddress(message: NetlinkMessage): AddressInfo | undefined {
  if (message.type !== RtmType.newAddr || message.payload.length < IFADDRMSG_LEN) return undefined;
  if (message.payload[0] !== AF_INET) return undefined;
  const attributes = parseAttributes(message.payload.subarray(IFADDRMSG_LEN));
  const local = attributes.get(Ifa.local) ?? attributes.get(Ifa.address);
  if (!local || local.length !== 4) return undefined;
  return {
    index: readU32(message.payload, 4),
    address: ipv4FromBytes(local),
    prefixLength: message.payload[1] as number,
  };
}

export function decodeRoute(message: NetlinkMessage): RouteInfo | undefined {
  if (message.type !== RtmType.newRoute || message.payload.length < RTMSG_LEN) return undefined;
  if (message.payload[0] !== AF_INET) return undefined;
  const attributes = parseAttributes(message.payload.subarray(RTMSG_LEN));
  const destination = attributes.get(Rta.dst);
  const gateway = attributes.get(Rta.gateway);
  const oif = attributes.get(Rta.oif);
  const table = attributes.get(Rta.table);
  return {
    table: table ? readU32(table, 0) : (message.payload[4] as number),
    destination: destination ? ipv4FromBytes(destination) : '0.0.0.0',
    prefixLength: message.payload[1] as number,
    ...(gateway ? { gateway: ipv4FromBytes(gateway) } : {}),
    ...(oif ? { outputIndex: readU32(oif, 0) } : {}),
  };
}
