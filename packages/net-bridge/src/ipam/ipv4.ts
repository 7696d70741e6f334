import { isIPv4 } from 'node:net';
import { InvalidValueError } from '@koker/core';

/** An IPv4 address as a 32-bit unsigned number, so ranges are arithmetic. */
export type Ipv4Number = number;

export function parseIpv4(text: string, what = 'IPv4 address'): Ipv4Number {
  if (!isIPv4(text)) throw new InvalidValueError(what, text, 'expected four decimal octets, e.g. 10.69.0.1');
  return text.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function formatIpv4(value: Ipv4Number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** The address in network byte order, as netlink attributes carry it. */
export function ipv4Bytes(text: string): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(parseIpv4(text));
  return buffer;
}

export function ipv4FromBytes(bytes: Buffer): string {
  return formatIpv4(bytes.readUInt32BE(0));
}

export function isLoopbackIp(text: string): boolean {
  return text === '::1' || /^127\./.test(text);
}

/**
 * The MAC address of a container's interface with address `ip`: 02:42 (locally administered, as
 * Docker's) then the address's four bytes, so it is known from the address alone and never
 * shared by two containers of a network.
 */
export function macForAddress(ip: string): string {
  return ['02', '42', ...ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'))].join(':');
}
