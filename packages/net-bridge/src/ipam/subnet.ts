import { InvalidValueError, type Brand } from '@koker/core';
import { formatIpv4, parseIpv4, type Ipv4Number } from './ipv4.js';

/** An IPv4 subnet that can hold containers: a private range, a gateway and at least one address. */
export interface Subnet {
  readonly cidr: Brand<string, 'Cidr'>;
  readonly network: Ipv4Number;
  readonly prefixLength: number;
  readonly broadcast: Ipv4Number;
  /** The bridge's own address: the first host address. */
  readonly gateway: Ipv4Number;
  /** Host addresses containers may get: after the gateway, before the broadcast address. */
  readonly first: Ipv4Number;
  readonly last: Ipv4Number;
}

const PRIVATE_RANGES: readonly [string, number][] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
];

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function containsAddress(network: Ipv4Number, prefixLength: number, address: Ipv4Number): boolean {
  const mask = maskOf(prefixLength);
  return (address & mask) >>> 0 === network;
}

/** Whether two CIDR ranges share any address. */
export function rangesOverlap(
  a: { network: Ipv4Number; prefixLength: number },
  b: { network: Ipv4Number; prefixLength: number },
): boolean {
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  const mask = maskOf(shorter);
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}

/** Parses `10.69.0.0/16`: a network address (no host bits), /8 to /30, inside a private range. */
export function parseSubnet(text: string): Subnet {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!match) throw new InvalidValueError('subnet', text, 'expected CIDR notation, e.g. 10.69.0.0/16');
  const network = parseIpv4(match[1] as string, 'subnet address');
  const prefixLength = Number(match[2]);
  if (prefixLength < 8 || prefixLength > 30)
    throw new InvalidValueError('subnet', text, 'the prefix length must be between 8 and 30');
  const mask = maskOf(prefixLength);
  if ((network & mask) >>> 0 !== network) {
    throw new InvalidValueError('subnet', text, 'host bits are set', {
      hint: `did you mean ${formatIpv4((network & mask) >>> 0)}/${prefixLength}?`,
    });
  }
  const isPrivate = PRIVATE_RANGES.some(([base, length]) => {
    const range = { network: parseIpv4(base), prefixLength: length };
    return prefixLength >= length && rangesOverlap(range, { network, prefixLength });
  });
  if (!isPrivate) {
    throw new InvalidValueError('subnet', text, 'not inside a private range', {
      hint: 'use 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, e.g. 10.69.0.0/16',
    });
  }
  const broadcast = (network | ~mask) >>> 0;
  return {
    cidr: `${formatIpv4(network)}/${prefixLength}` as Subnet['cidr'],
    network,
    prefixLength,
    broadcast,
    gateway: network + 1,
    first: network + 2,
    last: broadcast - 1,
  };
}

/**
 * A subnet with a chosen gateway (`--gateway`, default its first host address) and the range
 * addresses are handed out from (`--ip-range`, a CIDR inside it; default every host address).
 */
export function withAddressing(subnet: Subnet, gateway?: string, ipRange?: string): Subnet {
  let result = subnet;
  if (gateway !== undefined) {
    const address = parseIpv4(gateway, 'gateway');
    if (address <= subnet.network || address >= subnet.broadcast)
      throw new InvalidValueError('gateway', gateway, `not a host address of ${subnet.cidr}`);
    result = { ...result, gateway: address, first: subnet.network + 1 };
  }
  if (ipRange !== undefined) {
    const match = /^([0-9.]+)\/(\d{1,2})$/.exec(ipRange);
    if (!match)
      throw new InvalidValueError('ip range', ipRange, 'expected CIDR notation, e.g. 10.70.1.128/25');
    const network = parseIpv4(match[1] as string, 'ip range');
    const prefixLength = Number(match[2]);
    if (
      prefixLength < subnet.prefixLength ||
      prefixLength > 32 ||
      !containsAddress(subnet.network, subnet.prefixLength, network)
    )
      throw new InvalidValueError('ip range', ipRange, `not inside ${subnet.cidr}`);
    const last = (network | ~maskOf(prefixLength)) >>> 0;
    result = {
      ...result,
      first: Math.max(network, subnet.network + 1) as Ipv4Number,
      last: Math.min(last, subnet.broadcast - 1) as Ipv4Number,
    };
  }
  return result;
}
