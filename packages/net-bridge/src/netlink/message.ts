import { endianness } from 'node:os';
import { NLA_HDRLEN, NLMSG_HDRLEN } from './constants.js';

// Netlink speaks the host's byte order; addresses inside attributes are in network order.
const LITTLE = endianness() === 'LE';

/** One netlink attribute: a leaf (bytes) or a nest of attributes. */
export interface NetlinkAttribute {
  readonly type: number;
  readonly value: Buffer | readonly NetlinkAttribute[];
}

export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** Everything after the 16-byte header. */
  readonly payload: Buffer;
}

export function align4(length: number): number {
  return (length + 3) & ~3;
}

export function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  if (LITTLE) buffer.writeUInt16LE(value);
  else buffer.writeUInt16BE(value);
  return buffer;
}

export function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  if (LITTLE) buffer.writeUInt32LE(value >>> 0);
  else buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

export function i32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  if (LITTLE) buffer.writeInt32LE(value);
  else buffer.writeInt32BE(value);
  return buffer;
}

export function readU16(buffer: Buffer, offset: number): number {
  return LITTLE ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
}

export function readU32(buffer: Buffer, offset: number): number {
  return LITTLE ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
}

export function readI32(buffer: Buffer, offset: number): number {
  return LITTLE ? buffer.readInt32LE(offset) : buffer.readInt32BE(offset);
}

/** A NUL-terminated string, as the kernel expects names. */
export function cString(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(1)]);
}

export function attr(type: number, value: Buffer | readonly NetlinkAttribute[]): NetlinkAttribute {
  return { type, value };
}

/** Attributes back to back, each padded to 4 bytes; nests carry their children. */
export function encodeAttributes(attributes: readonly NetlinkAttribute[]): Buffer {
  const parts: Buffer[] = [];
  for (const attribute of attributes) {
    const value = Buffer.isBuffer(attribute.value)
      ? attribute.value
      : encodeAttributes(attribute.value as readonly NetlinkAttribute[]);
    const length = NLA_HDRLEN + value.length;
    parts.push(u16(length), u16(attribute.type), value, Buffer.alloc(align4(length) - length));
  }
  return Buffer.concat(parts);
}

/** nlmsghdr + fixed header + attributes. The port id is 0: the kernel fills in ours. */
export function encodeMessage(message: {
  type: number;
  flags: number;
  seq: number;
  header: Buffer;
  attributes?: readonly NetlinkAttribute[];
}): Buffer {
  const body = Buffer.concat([
    message.header,
    Buffer.alloc(align4(message.header.length) - message.header.length),
    encodeAttributes(message.attributes ?? []),
  ]);
  const length = NLMSG_HDRLEN + body.length;
  return Buffer.concat([u32(length), u16(message.type), u16(message.flags), u32(message.seq), u32(0), body]);
}

/** Splits a datagram into its messages; stops at a truncated one. */
export function parseMessages(data: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= data.length) {
    const length = readU32(data, offset);
    if (length < NLMSG_HDRLEN || offset + length > data.length) break;
    messages.push({
      type: readU16(data, offset + 4),
      flags: readU16(data, offset + 6),
      seq: readU32(data, offset + 8),
      payload: data.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += align4(length);
  }
  return messages;
}

/** The attributes in `data` by type (the last one wins when repeated). */
export function parseAttributes(data: Buffer): Map<number, Buffer> {
  const attributes = new Map<number, Buffer>();
  let offset = 0;
  while (offset + NLA_HDRLEN <= data.length) {
    const length = readU16(data, offset);
    if (length < NLA_HDRLEN || offset + length > data.length) break;
    // The top bits flag nested / network-order attributes; the type is the rest.
    const type = readU16(data, offset + 2) & 0x3fff;
    attributes.set(type, data.subarray(offset + NLA_HDRLEN, offset + length));
    offset += align4(length);
  }
  return attributes;
}

/** A NUL-terminated string attribute. */
export function readCString(value: Buffer): string {
  const end = value.indexOf(0);
  return value.toString('utf8', 0, end === -1 ? value.length : end);
}
