import { TarFormatError } from './tar-entry.js';

/**
 * PAX extended header records: `<length> <key>=<value>\n`, the length counting the whole record
 * in bytes. Values stay bytes (latin1 strings) since xattr values are binary.
 */
export function parsePaxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    if (body[offset] === 0) break;
    const space = body.indexOf(0x20, offset);
    if (space < 0) throw new TarFormatError('malformed PAX record (no length)');
    const length = Number(body.toString('latin1', offset, space));
    if (!Number.isInteger(length) || length <= 0 || offset + length > body.length) {
      throw new TarFormatError('malformed PAX record (bad length)');
    }
    const record = body.toString('latin1', space + 1, offset + length - 1);
    if (body[offset + length - 1] !== 0x0a) throw new TarFormatError('malformed PAX record (no newline)');
    const equals = record.indexOf('=');
    if (equals < 0) throw new TarFormatError('malformed PAX record (no "=")');
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

/** A PAX time: decimal seconds with an optional fraction (`1700000000.123456789`). */
export function parsePaxTime(value: string): { sec: number; nsec: number } {
  const match = /^(-?\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new TarFormatError(`malformed PAX time "${value}"`);
  const fraction = (match[2] ?? '').slice(0, 9).padEnd(9, '0');
  return { sec: Number(match[1]), nsec: Number(fraction) };
}

export function parsePaxInteger(value: string, key: string): number {
  if (!/^\d+$/.test(value)) throw new TarFormatError(`malformed PAX ${key} "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`PAX ${key} too large`);
  return n;
}

/** xattrs carried by PAX records: star's `SCHILY.xattr.NAME` and libarchive's base64 form. */
export function paxXattrs(records: ReadonlyMap<string, string>): Map<string, Buffer> {
  const xattrs = new Map<string, Buffer>();
  for (const [key, value] of records) {
    if (key.startsWith('SCHILY.xattr.')) {
      xattrs.set(Buffer.from(key.slice(13), 'latin1').toString('utf8'), Buffer.from(value, 'latin1'));
    } else if (key.startsWith('LIBARCHIVE.xattr.')) {
      const name = decodeURIComponent(Buffer.from(key.slice(17), 'latin1').toString('utf8'));
      xattrs.set(name, Buffer.from(value, 'base64'));
    }
  }
  return xattrs;
}
