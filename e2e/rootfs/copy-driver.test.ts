import { existsSync, lstatSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@koker/core';
import { KoffiSyscalls } from '@koker/host';
import { CopyStorageDriver } from '@koker/fs-overlay';
import { TAR_GZIP, containerId, gzipStream, tarOf, tempRoot, testLogger, type Entry } from './helpers.js';

let root: { root: string; remove: () => void };
let driver: CopyStorageDriver;

beforeAll(() => {
  root = tempRoot();
  driver = new CopyStorageDriver({
    config: { ...DEFAULT_CONFIG, root: root.root },
    log: testLogger(),
    syscalls: new KoffiSyscalls(),
  });
});
afterAll(() => root.remove());

async function layers(...tars: Entry[][]): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, entries] of tars.entries()) {
    const target = join(root.root, 'layers', `copy-${i}-${Date.now()}`);
    await driver.applyLayer(gzipStream(await tarOf(entries)), { target, mediaType: TAR_GZIP });
    dirs.unshift(target);
  }
  return dirs;
}

describe('the copy driver (fallback without overlayfs)', () => {
  it('flattens layers with whiteouts, opaque dirs, hardlinks and metadata, read-only when asked', async () => {
    const layerDirs = await layers(
      [
        { name: 'etc/group', content: 'old' },
        { name: 'etc/passwd', content: 'root' },
        { name: 'cache/a', content: 'a' },
        { name: 'data/one', content: 'shared', uid: 1000, gid: 1000, mode: 0o4750 },
        { name: 'data/two', type: 'link', linkname: 'data/one' },
        { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
        { name: 'tagged', content: 't', pax: { 'SCHILY.xattr.user.k': 'v' } },
      ],
      [
        { name: 'etc/.wh.group', content: '' },
        { name: 'cache/.wh..wh..opq', content: '' },
        { name: 'cache/b', content: 'b' },
        { name: 'lib/', type: 'directory' },
        { name: 'lib/own', content: 'o' },
      ],
    );
    const id = containerId();
    try {
      const { path } = await driver.prepare(id, layerDirs, { readOnly: true });
      expect(readdirSync(join(path, 'etc'))).toEqual(['passwd']);
      expect(readdirSync(join(path, 'cache'))).toEqual(['b']);
      expect(lstatSync(join(path, 'lib')).isDirectory()).toBe(true);
      expect(readFileSync(join(path, 'lib/own'), 'utf8')).toBe('o');
      const one = statSync(join(path, 'data/one'));
      expect([one.uid, one.gid, one.mode & 0o7777, one.nlink]).toEqual([1000, 1000, 0o4750, 2]);
      expect(statSync(join(path, 'data/two')).ino).toBe(one.ino);
      expect(
        execFileSync(
          'getfattr',
          ['--absolute-names', '--only-values', '-n', 'user.k', join(path, 'tagged')],
          { encoding: 'utf8' },
        ),
      ).toBe('v');
      expect(() => writeFileSync(join(path, 'new'), 'x')).toThrow(/EROFS/);
      expect(readFileSync(join(layerDirs[1]!, 'etc/group'), 'utf8')).toBe('old');
      expect(await driver.list()).toContain(id);
    } finally {
      expect(await driver.release(id)).toEqual([]);
    }
    expect(existsSync(join(root.root, 'copy', id))).toBe(false);
  });
});
