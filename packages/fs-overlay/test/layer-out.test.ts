import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  chownSync,
  chmodSync,
  readlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@koker/log';
import { applyLayer, upperLayerEntries, writeLayerBlob } from '../src/index.js';
import { AtCalls } from '../src/kernel/at-calls.js';
import { encodeTarHeader } from '../src/tar/tar-encode.js';
import { TAR_GZIP, tempDir } from './helpers/layer-tar.js';

const log = createLogger({ level: 'silent', format: 'json' });
let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const isRoot = process.geteuid?.() === 0;

/** GNU tar's verbose listing of a gzip blob: what any other tool sees in it. */
function gnuListing(blob: string): string[] {
  return execFileSync('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-tvzf', blob], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
}

describe('tar headers', () => {
  it('writes ustar with a valid checksum, and PAX for long names and xattrs', () => {
    const short = encodeTarHeader({
      name: 'a',
      typeflag: '0',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 3,
      mtime: 1,
    });
    expect(short.length).toBe(512);
    expect(short.toString('latin1', 257, 262)).toBe('ustar');
    const long = encodeTarHeader({
      name: `${'d'.repeat(120)}/file`,
      typeflag: '0',
      mode: 0o600,
      uid: 5_000_000,
      gid: 1,
      size: 0,
      mtime: 1,
      xattrs: new Map([['security.capability', Buffer.from([1, 0, 0, 2, 0xff])]]),
    });
    const pax = long.toString('latin1', 512, 1024);
    expect(long[156]).toBe('x'.charCodeAt(0));
    expect(pax).toContain(`path=${'d'.repeat(120)}/file\n`);
    expect(pax).toContain('uid=5000000\n');
    // The binary value is kept byte for byte.
    expect(
      long
        .subarray(512, 1024)
        .includes(Buffer.from('SCHILY.xattr.security.capability=\x01\x00\x00\x02\xff\n', 'latin1')),
    ).toBe(true);
  });
});

describe.runIf(isRoot)('a layer from an overlay upper directory', () => {
  it('archives files, links, owners, modes, xattrs, times, whiteouts and opaque directories', async () => {
    const upper = join(dir.path, 'upper');
    const sys = new AtCalls();
    mkdirSync(join(upper, 'etc'), { recursive: true });
    writeFileSync(join(upper, 'etc/new.conf'), 'new\n');
    chownSync(join(upper, 'etc/new.conf'), 1000, 2000);
    chmodSync(join(upper, 'etc/new.conf'), 0o4750);
    linkSync(join(upper, 'etc/new.conf'), join(upper, 'etc/hard'));
    symlinkSync('/etc/passwd', join(upper, 'etc/link-out'));
    utimesSync(join(upper, 'etc/new.conf'), 1_600_000_000, 1_600_000_000);
    execFileSync('mknod', [join(upper, 'etc/deleted'), 'c', '0', '0']);
    mkdirSync(join(upper, 'var/cache'), { recursive: true });
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(upper, 'var/cache')]);
    writeFileSync(join(upper, 'var/cache/kept'), 'k');
    execFileSync('setfattr', ['-n', 'user.note', '-v', 'hello', join(upper, 'var/cache/kept')]);
    execFileSync('setfattr', ['-n', 'trusted.overlay.origin', '-v', 'x', join(upper, 'var/cache/kept')]);
    execFileSync('mkfifo', [join(upper, 'fifo')]);

    const blob = join(dir.path, 'layer.tgz');
    const written = await writeLayerBlob(upperLayerEntries(upper, { lowers: [] }), blob);
    const listing = gnuListing(blob);
    const names = listing.map((line) => line.split(/\s+/).at(-1));
    expect(names).toContain('etc/.wh.deleted');
    expect(names).toContain('var/cache/.wh..wh..opq');
    // The first name of a linked file carries the data, the others link to it.
    expect(listing.find((l) => l.endsWith(' etc/hard'))).toMatch(/^-rwsr-x---\s+1000\/2000\s+4 2020-09-13/);
    expect(listing.find((l) => l.includes('etc/new.conf'))).toContain('link to etc/hard');
    expect(listing.find((l) => l.endsWith(' var/cache/kept'))).toMatch(/^-rw-r--r--\* /);
    expect(written.entries).toBe(listing.length);
    expect(listing.find((l) => l.includes('etc/link-out'))).toContain('-> /etc/passwd');
    expect(listing.indexOf('var/cache/.wh..wh..opq')).toBe(-1);
    const order = names.indexOf('var/cache/.wh..wh..opq');
    expect(names[order - 1]).toBe('var/cache/');

    // The applier reads it back into overlayfs' form, with the same diff ID.
    const target = join(dir.path, 'applied');
    const applied = await applyLayer(createReadStream(blob), { target, mediaType: TAR_GZIP }, { log });
    expect(applied.diffId).toBe(written.diffId);
    const whiteout = lstatSync(join(target, 'etc/deleted'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(sys.lgetxattr(join(target, 'var/cache'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(sys.lgetxattr(join(target, 'var/cache/kept'), 'user.note')?.toString()).toBe('hello');
    expect(sys.lgetxattr(join(target, 'var/cache/kept'), 'trusted.overlay.origin')).toBeUndefined();
    const file = lstatSync(join(target, 'etc/new.conf'));
    expect([file.uid, file.gid, file.mode & 0o7777, file.mtimeMs / 1000, file.nlink]).toEqual([
      1000, 2000, 0o4750, 1_600_000_000, 2,
    ]);
    expect(readlinkSync(join(target, 'etc/link-out'))).toBe('/etc/passwd');
    expect(readFileSync(join(target, 'etc/hard'), 'utf8')).toBe('new\n');
    expect(lstatSync(join(target, 'fifo')).isFIFO()).toBe(true);
  });

  it('leaves out runtime mount targets the image lacks, and refuses redirected directories', async () => {
    const upper = join(dir.path, 'upper');
    mkdirSync(join(upper, 'proc'), { recursive: true });
    mkdirSync(join(upper, 'etc'), { recursive: true });
    writeFileSync(join(upper, 'etc/hosts'), '');
    writeFileSync(join(upper, 'etc/app'), 'a');
    const lower = join(dir.path, 'lower');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    writeFileSync(join(lower, 'etc/hosts'), 'image');
    const blob = join(dir.path, 'layer.tgz');
    await writeLayerBlob(
      upperLayerEntries(upper, { lowers: [lower], mountTargets: ['/proc', '/etc/hosts'] }),
      blob,
    );
    // /etc/hosts is the image's (changed): kept; /proc was only a mount target: left out.
    expect(gnuListing(blob).map((l) => l.split(/\s+/).at(-1))).toEqual(['etc/', 'etc/app', 'etc/hosts']);

    execFileSync('setfattr', ['-n', 'trusted.overlay.redirect', '-v', '/old', join(upper, 'etc')]);
    await expect(
      writeLayerBlob(upperLayerEntries(upper, { lowers: [lower] }), join(dir.path, 'b.tgz')),
    ).rejects.toThrow(/overlayfs metadata \(trusted.overlay.redirect\)/);
  });
});
