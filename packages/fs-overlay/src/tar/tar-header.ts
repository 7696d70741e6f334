import { TarFormatError } from './tar-entry.js';

export const BLOCK = 512;

/** The fields of one 512-byte header block, before PAX/GNU extensions are applied. */
export interface RawHeader {
  readonly name: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly typeflag: string;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
}

function cString(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('latin1', start, end < 0 || end > start + length ? start + length : end);
}

/**
 * A numeric field: octal digits padded with spaces or NULs, or GNU's base-256 form (high bit of
 * the first byte set) for values that do not fit. Negative base-256 values are refused.
 */
export function parseNumeric(block: Buffer, start: number, length: number, field: string): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new TarFormatError(`negative ${field} in a tar header`);
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + (block[i] ?? 0);
      if (value > Number.MAX_SAFE_INTEGER) throw new TarFormatError(`${field} too large in a tar header`);
    }
    return value;
  }
  let value = 0;
  let i = start;
  const end = start + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  for (; i < end; i++) {
    const c = block[i] ?? 0;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new TarFormatError(`invalid octal ${field} in a tar header`);
    value = value * 8 + (c - 0x30);
  }
  return value;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** The header checksum: the unsigned (or, for old writers, signed) sum with the field as spaces. */
function checksumMatches(block: Buffer): boolean {
  const stored = parseNumeric(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Parses a header block (POSIX ustar, GNU or v7), verifying its checksum. */
export function parseHeader(block: Buffer): RawHeader {
  if (!checksumMatches(block)) throw new TarFormatError('tar header checksum mismatch (not a tar stream?)');
  const magic = block.toString('latin1', 257, 263);
  let name = cString(block, 0, 100);
  // Only POSIX ustar has a prefix field; GNU keeps times there.
  if (magic === 'ustar\0') {
    const prefix = cString(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156] ?? 0x30);
  return {
    name,
    mode: parseNumeric(block, 100, 8, 'mode') & 0o7777,
    uid: parseNumeric(block, 108, 8, 'uid'),
    gid: parseNumeric(block, 116, 8, 'gid'),
    size: parseNumeric(block, 124, 12, 'size'),
    mtime: parseNumeric(block, 136, 12, 'mtime'),
    typeflag,
    linkname: cString(block, 157, 100),
    devmajor: parseNumeric(block, 329, 8, 'devmajor'),
    devminor: parseNumeric(block, 337, 8, 'devminor'),
  };
}
