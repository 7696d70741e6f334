import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  chownSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidValueError } from '@koker/core';
import { createLogger } from '@koker/log';
import { applyLayer, type ZstdDecoder } from '../src/index.js';
import { findZstd } from '../src/apply/decompress.js';
import { TAR, TAR_GZIP, TAR_ZSTD, gzip, sha256, streamOf, tarOf, tempDir } from './helpers/layer-tar.js';

const log = createLogger({ level: 'silent', format: 'json' });
const isRoot = process.geteuid?.() === 0;
let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

function target(name = 'layer'): string {
  return join(dir.path, name);
}

/** What GNU find shows of a tree: the comparison that says two extractions are the same. */
function listing(root: string): string[] {
  const out = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%p %y %m %U:%G %s %T@ %l %n\n'], {
    cwd: root,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // directory sizes depend on the filesystem's history, not on the layer
      const fields = line.split(' ');
      if (fields[1] === 'd') fields[4] = '-';
      return fields.join(' ');
    })
    .sort();
}

describe('applyLayer', () => {
  it('writes files, directories and symlinks and returns the diffID of the uncompressed tar', async () => {
    const tar = await tarOf([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/hostname', content: 'koker\n', mode: 0o644 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    ]);
    const progress: number[] = [];
    const applied = await applyLayer(
      streamOf(gzip(tar)),
      { target: target(), mediaType: TAR_GZIP, onProgress: (n) => progress.push(n) },
      { log },
    );
    expect(applied.diffId).toBe(sha256(tar));
    expect(applied.size).toBe(6);
    expect(progress.at(-1)).toBe(tar.length);
    expect(readFileSync(join(target(), 'etc/hostname'), 'utf8')).toBe('koker\n');
    expect(readlinkSync(join(target(), 'bin/sh'))).toBe('/bin/busybox');
    expect(lstatSync(join(target(), 'etc')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(target(), 'etc/hostname')).mtimeMs).toBe(1_600_000_000_000);
  });

  it('applies directory metadata after the directory’s contents', async () => {
    const tar = await tarOf([
      { name: 'ro/', type: 'directory', mode: 0o555, mtime: new Date(1_000_000_000_000) },
      { name: 'ro/inside', content: 'x' },
      { name: 'ro/sub/', type: 'directory', mode: 0o500 },
      { name: 'ro/sub/deeper', content: 'y' },
    ]);
    await applyLayer(streamOf(tar), { target: target(), mediaType: TAR }, { log });
    const ro = statSync(join(target(), 'ro'));
    expect(ro.mode & 0o7777).toBe(0o555);
    expect(ro.mtimeMs).toBe(1_000_000_000_000);
    expect(readFileSync(join(target(), 'ro/sub/deeper'), 'utf8')).toBe('y');
  });

  it('links hardlinks in either order, and replaces earlier entries of the same name', async () => {
    const tar = await tarOf([
      { name: 'early-link', type: 'link', linkname: 'later/target' },
      { name: 'later/target', content: 'shared' },
      { name: 'late-link', type: 'link', linkname: 'later/target' },
      { name: 'replaced', content: 'first' },
      { name: 'replaced', content: 'second' },
      { name: 'was-dir/', type: 'directory' },
      { name: 'was-dir/child', content: 'c' },
      { name: 'was-dir', type: 'symlink', linkname: 'elsewhere' },
    ]);
    await applyLayer(streamOf(tar), { target: target(), mediaType: TAR }, { log });
    const ino = statSync(join(target(), 'later/target')).ino;
    expect(statSync(join(target(), 'early-link')).ino).toBe(ino);
    expect(statSync(join(target(), 'late-link')).ino).toBe(ino);
    expect(statSync(join(target(), 'later/target')).nlink).toBe(3);
    expect(readFileSync(join(target(), 'replaced'), 'utf8')).toBe('second');
    expect(readlinkSync(join(target(), 'was-dir'))).toBe('elsewhere');
  });

  it('reads plain, gzip and zstd layers the same way, whatever the media type claims', async () => {
    const tar = await tarOf([{ name: 'f', content: 'same' }]);
    const zstd = execFileSync('zstd', ['-q', '-c'], { input: tar });
    const decoders: ZstdDecoder[] = findZstd() ? ['process', 'js'] : ['js'];
    const cases: [string, Buffer, string, ZstdDecoder][] = [
      ['plain', tar, TAR, 'auto'],
      ['gzip', gzip(tar), TAR_GZIP, 'auto'],
      ['gzip-labelled-plain', gzip(tar), TAR, 'auto'],
      ...decoders.map((d): [string, Buffer, string, ZstdDecoder] => [`zstd-${d}`, zstd, TAR_ZSTD, d]),
    ];
    for (const [name, blob, mediaType, zstdDecoder] of cases) {
      const applied = await applyLayer(
        streamOf(blob, 333),
        { target: target(name), mediaType },
        { log, zstd: zstdDecoder },
      );
      expect(applied.diffId, name).toBe(sha256(tar));
      expect(readFileSync(join(target(name), 'f'), 'utf8')).toBe('same');
    }
  });

  it('refuses what is not a layer, corrupt or truncated data, and an existing target', async () => {
    const tar = await tarOf([{ name: 'f', content: 'x'.repeat(5000) }]);
    await expect(
      applyLayer(streamOf(tar), { target: target('json'), mediaType: 'application/json' }, { log }),
    ).rejects.toThrow(InvalidValueError);
    const corrupt = gzip(tar);
    corrupt.fill(0x55, 20, 60);
    await expect(
      applyLayer(streamOf(corrupt), { target: target('corrupt'), mediaType: TAR_GZIP }, { log }),
    ).rejects.toThrow(/corrupt/);
    await expect(
      applyLayer(streamOf(tar.subarray(0, 2000)), { target: target('short'), mediaType: TAR }, { log }),
    ).rejects.toThrow(/truncated/);
    const zstdCorrupt = execFileSync('zstd', ['-q', '-c'], { input: tar }).subarray(0, 30);
    await expect(
      applyLayer(streamOf(zstdCorrupt), { target: target('zstd'), mediaType: TAR_ZSTD }, { log }),
    ).rejects.toThrow(/zstd/);
    mkdirSync(target('exists'));
    await expect(
      applyLayer(streamOf(tar), { target: target('exists'), mediaType: TAR }, { log }),
    ).rejects.toThrow(ConflictError);
    expect(readdirSync(dir.path).sort()).toEqual(['exists']);
  });

  it('stops when aborted and removes the partial layer', async () => {
    const controller = new AbortController();
    async function* slow() {
      yield await tarOf([{ name: 'first', content: 'x' }]).then((t) => t.subarray(0, 1024));
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 50));
      yield Buffer.alloc(512);
    }
    await expect(
      applyLayer(
        Readable.from(slow()),
        { target: target(), mediaType: TAR, signal: controller.signal },
        { log },
      ),
    ).rejects.toThrow(/abort/i);
    expect(existsSync(target())).toBe(false);
  });
});

describe.runIf(isRoot)('applyLayer as root', () => {
  it('creates devices and FIFOs, keeps owners, special mode bits and xattrs', async () => {
    const tar = await tarOf([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'run/pipe', type: 'fifo', mode: 0o620 },
      { name: 'bin/su', content: 'su', mode: 0o4755 },
      { name: 'bin/wall', content: 'w', mode: 0o2755, gid: 5 },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'home/u/f', content: 'u', uid: 1000, gid: 1000, mode: 0o640 },
      { name: 'home/u/l', type: 'symlink', linkname: 'f', uid: 1000, gid: 1000 },
      {
        name: 'tagged',
        content: 't',
        pax: { 'SCHILY.xattr.user.one': '1', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' },
      },
    ]);
    await applyLayer(streamOf(tar), { target: target(), mediaType: TAR }, { log });
    const t = target();
    const nul = lstatSync(join(t, 'dev/null'));
    expect([nul.isCharacterDevice(), nul.rdev, nul.mode & 0o7777]).toEqual([true, 0x103, 0o666]);
    const sda = lstatSync(join(t, 'dev/sda'));
    expect([sda.isBlockDevice(), sda.rdev, sda.gid]).toEqual([true, 0x800, 6]);
    expect(lstatSync(join(t, 'run/pipe')).isFIFO()).toBe(true);
    expect(lstatSync(join(t, 'run/pipe')).mode & 0o7777).toBe(0o620);
    expect(statSync(join(t, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect([statSync(join(t, 'bin/wall')).mode & 0o7777, statSync(join(t, 'bin/wall')).gid]).toEqual([
      0o2755, 5,
    ]);
    expect(statSync(join(t, 'tmp')).mode & 0o7777).toBe(0o1777);
    const f = statSync(join(t, 'home/u/f'));
    expect([f.uid, f.gid, f.mode & 0o777]).toEqual([1000, 1000, 0o640]);
    expect(lstatSync(join(t, 'home/u/l')).uid).toBe(1000);
    const attrs = execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', join(t, 'tagged')], {
      encoding: 'utf8',
    });
    expect(attrs).toContain('user.one="1"');
    expect(attrs).not.toContain('overlay');
  });

  it('extracts what GNU tar made (gnu and posix formats) exactly as GNU tar does', async () => {
    const src = join(dir.path, 'src');
    mkdirSync(join(src, 'a', 'b'), { recursive: true });
    const long = join(src, 'a', `${'l'.repeat(120)}`, `${'m'.repeat(120)}`);
    mkdirSync(long, { recursive: true });
    writeFileSync(join(long, `${'n'.repeat(110)}.txt`), 'deep');
    writeFileSync(join(src, 'a', 'b', 'file'), 'content');
    writeFileSync(join(src, 'big'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    linkSync(join(src, 'a', 'b', 'file'), join(src, 'hard'));
    symlinkSync(`../${'x'.repeat(150)}/target`, join(src, 'a', 'longlink'));
    execFileSync('mkfifo', [join(src, 'fifo')]);
    execFileSync('mknod', [join(src, 'null'), 'c', '1', '3']);
    chmodSync(join(src, 'a', 'b', 'file'), 0o4711);
    chownSync(join(src, 'big'), 1234, 5678);
    execFileSync('setfattr', ['-n', 'user.note', '-v', 'hello', join(src, 'big')]);
    chmodSync(join(src, 'a'), 0o700);
    utimesSync(join(src, 'a'), 1_500_000_000, 1_500_000_000);
    for (const format of ['gnu', 'posix']) {
      const tar = execFileSync(
        'tar',
        ['--format', format, '--xattrs', '--xattrs-include=user.*', '-C', src, '-cf', '-', '.'],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const ours = target(`ours-${format}`);
      const gnu = target(`gnu-${format}`);
      mkdirSync(gnu);
      execFileSync('tar', ['--xattrs', '--xattrs-include=user.*', '-C', gnu, '-xpf', '-'], { input: tar });
      await applyLayer(streamOf(gzip(tar), 65536), { target: ours, mediaType: TAR_GZIP }, { log });
      expect(listing(ours), format).toEqual(listing(gnu));
      expect(readFileSync(join(ours, 'a', 'b', 'file'), 'utf8')).toBe('content');
      if (format === 'posix') {
        expect(
          execFileSync('getfattr', ['--only-values', '-n', 'user.note', join(ours, 'big')], {
            encoding: 'utf8',
          }),
        ).toBe('hello');
      }
    }
  });
});
