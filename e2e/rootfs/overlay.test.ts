import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ContainerId } from '@koker/core';
import { type OverlayStorageDriver } from '@koker/fs-overlay';
import { TAR_GZIP, containerId, gzipStream, overlayDriver, tarOf, tempRoot, type Entry } from './helpers.js';

let root: { root: string; remove: () => void };
let driver: OverlayStorageDriver;
const prepared: ContainerId[] = [];

beforeAll(() => {
  root = tempRoot();
  driver = overlayDriver(root.root);
});
afterEach(async () => {
  for (const id of prepared.splice(0)) await driver.release(id);
});
afterAll(() => root.remove());

async function layers(...tars: Entry[][]): Promise<string[]> {
  const dirs: string[] = [];
  for (const entries of tars) {
    const target = join(root.root, 'layers', `${Math.random().toString(36).slice(2)}`);
    await driver.applyLayer(gzipStream(await tarOf(entries)), { target, mediaType: TAR_GZIP });
    dirs.push(target);
  }
  return dirs.reverse(); // topmost first
}

async function prepare(layerDirs: string[], readOnly = false): Promise<string> {
  const id = containerId();
  prepared.push(id);
  return (await driver.prepare(id, layerDirs, { readOnly })).path;
}

function xattr(path: string, name: string): string {
  return execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', name, path], {
    encoding: 'utf8',
  });
}

describe('an overlay root filesystem over applied layers', () => {
  it('shows what the layers say: whiteouts, opaque dirs, re-added files, replaced types', async () => {
    const cap = Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).toString('latin1');
    const base: Entry[] = [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'etc/group', content: 'old group\n' },
      { name: 'cache/', type: 'directory' },
      { name: 'cache/lower-a', content: 'a' },
      { name: 'cache/lower-b', content: 'b' },
      { name: 'thing', content: 'a file first' },
      { name: 'place/', type: 'directory' },
      { name: 'place/inside', content: 'i' },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/su', content: '#!/bin/sh\n', mode: 0o4755 },
      { name: 'bin/ping', content: 'ELF', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': cap } },
      { name: 'home/user/notes', content: 'mine', uid: 1000, gid: 1001, mode: 0o600 },
      { name: 'home/user/tagged', content: 't', pax: { 'SCHILY.xattr.user.koker': 'tag-value' } },
      { name: 'data/one', content: 'shared inode' },
      { name: 'data/two', type: 'link', linkname: 'data/one' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
    ];
    const middle: Entry[] = [
      { name: 'etc/.wh.group', content: '' },
      { name: 'cache/.wh..wh..opq', content: '' },
      { name: 'cache/upper-c', content: 'c' },
      { name: 'thing/', type: 'directory' },
      { name: 'thing/child', content: 'now a directory' },
      { name: 'place', content: 'now a file' },
    ];
    const top: Entry[] = [
      { name: 'etc/group', content: 'new group\n' },
      { name: '.wh.thing', content: '' },
      { name: 'thing', content: 'a file again' },
    ];
    const merged = await prepare(await layers(base, middle, top));

    expect(readFileSync(join(merged, 'etc/passwd'), 'utf8')).toContain('root:x:0:0');
    expect(readFileSync(join(merged, 'etc/group'), 'utf8')).toBe('new group\n');
    expect(readdirSync(join(merged, 'cache')).sort()).toEqual(['upper-c']);
    expect(readFileSync(join(merged, 'thing'), 'utf8')).toBe('a file again');
    expect(readFileSync(join(merged, 'place'), 'utf8')).toBe('now a file');

    const su = statSync(join(merged, 'bin/su'));
    expect(su.mode & 0o7777).toBe(0o4755);
    expect(xattr(join(merged, 'bin/ping'), 'security.capability')).toBeDefined();
    expect(execFileSync('getcap', [join(merged, 'bin/ping')], { encoding: 'utf8' })).toContain(
      'cap_net_bind_service',
    );
    const notes = statSync(join(merged, 'home/user/notes'));
    expect([notes.uid, notes.gid, notes.mode & 0o777]).toEqual([1000, 1001, 0o600]);
    expect(xattr(join(merged, 'home/user/tagged'), 'user.koker')).toBe('tag-value');
    const one = statSync(join(merged, 'data/one'));
    const two = statSync(join(merged, 'data/two'));
    expect(two.ino).toBe(one.ino);
    expect(one.nlink).toBe(2);
    expect(statSync(join(merged, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(merged, 'etc/passwd')).mtimeMs).toBe(1_600_000_000_000);
  });

  it('writes a container’s changes to its upper directory only', async () => {
    const layerDirs = await layers([
      { name: 'keep', content: 'k' },
      { name: 'drop', content: 'd' },
    ]);
    const merged = await prepare(layerDirs);
    writeFileSync(join(merged, 'new'), 'n');
    unlinkSync(join(merged, 'drop'));
    const upper = join(merged, '..', 'upper');
    expect(readFileSync(join(upper, 'new'), 'utf8')).toBe('n');
    expect(lstatSync(join(upper, 'drop')).isCharacterDevice()).toBe(true);
    expect(readFileSync(join(layerDirs[0]!, 'drop'), 'utf8')).toBe('d');
    expect(existsSync(join(merged, 'drop'))).toBe(false);
  });

  it('mounts read-only when asked', async () => {
    const merged = await prepare(await layers([{ name: 'file', content: 'f' }]), true);
    expect(readFileSync(join(merged, 'file'), 'utf8')).toBe('f');
    expect(() => writeFileSync(join(merged, 'other'), 'x')).toThrow(/EROFS/);
    expect(() => unlinkSync(join(merged, 'file'))).toThrow(/EROFS/);
  });

  it('release unmounts, lazily when busy, and removes upper and work', async () => {
    const id = containerId();
    const { path } = await driver.prepare(id, await layers([{ name: 'f', content: 'f' }]), {
      readOnly: false,
    });
    const fd = openSync(join(path, 'f'), 'r');
    try {
      expect(await driver.list()).toContain(id);
      expect(await driver.release(id)).toEqual([]);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(path);
      expect(existsSync(join(path, '..'))).toBe(false);
      expect(await driver.list()).not.toContain(id);
    } finally {
      closeSync(fd);
    }
    expect(await driver.release(id)).toEqual([]);
  });

  it('keeps a container’s changes when it is prepared again (restart)', async () => {
    const id = containerId();
    prepared.push(id);
    const layerDirs = await layers([{ name: 'f', content: 'f' }]);
    const first = await driver.prepare(id, layerDirs, { readOnly: false });
    writeFileSync(join(first.path, 'changed'), 'yes');
    execFileSync('umount', [first.path]);
    const second = await driver.prepare(id, layerDirs, { readOnly: false });
    expect(readFileSync(join(second.path, 'changed'), 'utf8')).toBe('yes');
    await expect(driver.prepare(id, layerDirs, { readOnly: false })).rejects.toThrow(/mounted already/);
  });
});

describe.each(['auto', 'legacy'] as const)('200 layers (mount method %s)', (mountMethod) => {
  it('mounts them in order and reads every one', async () => {
    const many = overlayDriver(root.root, { mountMethod });
    const dirs: string[] = [];
    for (let i = 0; i < 200; i++) {
      const target = join(
        root.root,
        `many-${mountMethod}`,
        `layer-with-a-long-directory-name-${String(i).padStart(4, '0')}`,
      );
      const entries: Entry[] = [
        { name: `layer-${i}`, content: String(i) },
        { name: 'common', content: `from ${i}` },
      ];
      if (i === 199) entries.push({ name: '.wh.layer-0', content: '' });
      await many.applyLayer(gzipStream(await tarOf(entries)), { target, mediaType: TAR_GZIP });
      dirs.unshift(target);
    }
    expect(dirs.join(':').length).toBeGreaterThan(4096);
    const id = containerId();
    try {
      const { path } = await many.prepare(id, dirs, { readOnly: false });
      expect(readFileSync(join(path, 'common'), 'utf8')).toBe('from 199');
      expect(existsSync(join(path, 'layer-0'))).toBe(false);
      for (let i = 1; i < 200; i++) expect(readFileSync(join(path, `layer-${i}`), 'utf8')).toBe(String(i));
    } finally {
      expect(await many.release(id)).toEqual([]);
      rmSync(join(root.root, `many-${mountMethod}`), { recursive: true, force: true });
    }
  });
});
