import { describe, expect, it } from 'vitest';
import { TarParser } from '../src/tar/tar-parser.js';
import { type EntrySink, type TarEntry } from '../src/tar/tar-entry.js';
import { tarOf } from './helpers/layer-tar.js';

/** Parses `data` fed in chunks of `size` bytes; returns entries with their data. */
function parse(data: Buffer, size = data.length): { entry: TarEntry; data: string }[] {
  const seen: { entry: TarEntry; data: string }[] = [];
  const parser = new TarParser({
    entry(entry): EntrySink {
      const record = { entry, data: '' };
      seen.push(record);
      return { write: (chunk) => (record.data += chunk.toString('latin1')), end: () => undefined };
    },
  });
  for (let i = 0; i < data.length; i += size) parser.write(data.subarray(i, i + size));
  parser.end();
  return seen;
}

function header(name: string, typeflag: string, size: number, patch?: (block: Buffer) => void): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 'latin1');
  block.write('0000755\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('00000000000\0', 136);
  block.write(typeflag, 156);
  block.write('ustar  \0', 257);
  patch?.(block);
  block.write('        ', 148);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
const END = Buffer.alloc(1024);

describe('TarParser', () => {
  it('gives the same entries whatever the chunk boundaries', async () => {
    const tar = await tarOf([
      { name: 'dir/', type: 'directory' },
      { name: 'dir/file', content: 'x'.repeat(1000) },
      { name: 'empty', content: '' },
      { name: 'link', type: 'symlink', linkname: 'dir/file' },
    ]);
    const whole = parse(tar).map((r) => [r.entry.name, r.entry.type, r.data.length]);
    expect(whole).toEqual([
      ['dir/', 'directory', 0],
      ['dir/file', 'file', 1000],
      ['empty', 'file', 0],
      ['link', 'symlink', 0],
    ]);
    for (const size of [1, 7, 511, 512, 513, 4096]) {
      expect(parse(tar, size).map((r) => [r.entry.name, r.entry.type, r.data.length])).toEqual(whole);
    }
  });

  it('reads PAX records: long names, times with fractions, owners, xattrs', async () => {
    const name = `${'n'.repeat(150)}/file`;
    const tar = await tarOf([
      {
        name,
        content: 'data',
        pax: { mtime: '1700000000.123456789', uid: '3000000', 'SCHILY.xattr.user.a': 'b' },
      },
    ]);
    const [record] = parse(tar, 100);
    expect(record!.entry.name).toBe(name);
    expect(record!.entry.mtime).toEqual({ sec: 1_700_000_000, nsec: 123_456_789 });
    expect(record!.entry.uid).toBe(3_000_000);
    expect(record!.entry.xattrs.get('user.a')?.toString()).toBe('b');
    expect(record!.data).toBe('data');
  });

  it('reads GNU long names and link names, and base-256 numbers', () => {
    const longName = `${'g'.repeat(200)}\0`;
    const longLink = `${'t'.repeat(300)}\0`;
    const tar = Buffer.concat([
      header('././@LongLink', 'L', longName.length),
      pad(Buffer.from(longName, 'latin1')),
      header('././@LongLink', 'K', longLink.length),
      pad(Buffer.from(longLink, 'latin1')),
      header('short', '2', 0, (b) => {
        // uid 2^33 in GNU base-256
        b.fill(0, 108, 116);
        b[108] = 0x80;
        b[111] = 0x02;
      }),
      END,
    ]);
    const [record] = parse(tar, 3);
    expect(record!.entry.name).toBe('g'.repeat(200));
    expect(record!.entry.linkname).toBe('t'.repeat(300));
    expect(record!.entry.uid).toBe(2 ** 33);
  });

  it('treats a v7 regular entry ending in / as a directory', () => {
    expect(parse(Buffer.concat([header('olddir/', '0', 0), END]))[0]!.entry.type).toBe('directory');
  });

  it('refuses corrupt, truncated and unsupported input', () => {
    const good = header('f', '0', 5);
    const corrupt = Buffer.from(good);
    corrupt[0] = 0x41;
    expect(() => parse(Buffer.concat([corrupt, pad(Buffer.from('hello')), END]))).toThrow(/checksum/);
    expect(() => parse(Buffer.concat([good, Buffer.from('hel')]))).toThrow(/truncated/);
    expect(() => parse(Buffer.concat([header('s', 'S', 0), END]))).toThrow(/sparse/);
    expect(() => parse(Buffer.concat([header('weird', 'Q', 0), END]))).toThrow(
      /unsupported tar entry type "Q"/,
    );
    expect(() => parse(Buffer.concat([header('neg', '0', 0, (b) => b.fill(0xff, 124, 136)), END]))).toThrow(
      /negative size/,
    );
  });

  it('ignores whatever follows the end-of-archive marker', () => {
    const tar = Buffer.concat([
      header('f', '0', 1),
      pad(Buffer.from('1')),
      END,
      Buffer.from('trailing junk'),
    ]);
    expect(parse(tar).map((r) => r.entry.name)).toEqual(['f']);
  });
});
