import { BLOCK } from './tar-header.js';

/** The typeflags koker writes. */
export type TarTypeflag = '0' | '1' | '2' | '3' | '4' | '5' | '6';

/**
 * One entry's header as written. Names are byte strings (latin1: the exact bytes of the file
 * name), so a name that is not UTF-8 survives the trip; xattr values are raw bytes.
 */
export interface TarHeaderFields {
  readonly name: string;
  readonly typeflag: TarTypeflag;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly linkname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  readonly xattrs?: ReadonlyMap<string, Buffer>;
}

const NAME_BYTES = 100;
const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  // length - 1 digits, then NUL (as GNU tar and Go's archive/tar write them).
  block.write(value.toString(8).padStart(length - 1, '0'), offset, length - 1, 'latin1');
  block[offset + length - 1] = 0;
}

/** One PAX record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'latin1'), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'latin1'), body]);
}

function ustarBlock(fields: TarHeaderFields, typeflag: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name.slice(0, NAME_BYTES), 0, NAME_BYTES, 'latin1');
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, Math.min(fields.uid, MAX_OCTAL_8));
  writeOctal(block, 116, 8, Math.min(fields.gid, MAX_OCTAL_8));
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.max(0, Math.min(fields.mtime, MAX_OCTAL_12)));
  block.write(typeflag, 156, 1, 'latin1');
  if (fields.linkname) block.write(fields.linkname.slice(0, NAME_BYTES), 157, NAME_BYTES, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, fields.devmajor ?? 0);
  writeOctal(block, 337, 8, fields.devminor ?? 0);
  // The checksum is summed with its own field as spaces, then written as 6 digits, NUL, space.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * The header blocks of one entry: a PAX extended header first when ustar cannot hold it (a name
 * or link target over 100 bytes, an owner or size too large, xattrs as `SCHILY.xattr.NAME`),
 * then the ustar header. The entry's data and its padding (`tarPadding`) follow.
 */
export function encodeTarHeader(fields: TarHeaderFields): Buffer {
  const records: Buffer[] = [];
  if (Buffer.byteLength(fields.name, 'latin1') > NAME_BYTES)
    records.push(paxRecord('path', Buffer.from(fields.name, 'latin1')));
  if (fields.linkname && Buffer.byteLength(fields.linkname, 'latin1') > NAME_BYTES)
    records.push(paxRecord('linkpath', Buffer.from(fields.linkname, 'latin1')));
  if (fields.uid > MAX_OCTAL_8) records.push(paxRecord('uid', Buffer.from(String(fields.uid))));
  if (fields.gid > MAX_OCTAL_8) records.push(paxRecord('gid', Buffer.from(String(fields.gid))));
  if (fields.size > MAX_OCTAL_12) records.push(paxRecord('size', Buffer.from(String(fields.size))));
  for (const [name, value] of [...(fields.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    records.push(paxRecord(`SCHILY.xattr.${name}`, value));
  }
  const size = fields.size > MAX_OCTAL_12 ? 0 : fields.size;
  const header = ustarBlock(fields, fields.typeflag, size);
  if (records.length === 0) return header;
  const data = Buffer.concat(records);
  const base = fields.name.slice(fields.name.lastIndexOf('/') + 1).slice(0, 80);
  const pax = ustarBlock(
    { ...fields, name: `PaxHeaders.0/${base}`, linkname: '', mode: 0o644 },
    'x',
    data.length,
  );
  return Buffer.concat([pax, data, Buffer.alloc(padding(data.length)), header]);
}

/** The zeros after `size` bytes of data that fill its last block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc(padding(size));
}

/** The end of an archive: two zero blocks. */
export const TAR_END: Buffer = Buffer.alloc(BLOCK * 2);
