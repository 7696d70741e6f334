import { lstatSync, readFileSync, readlinkSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@koker/core';
import { applyLayer } from '../src/index.js';
import { TAR, TAR_GZIP, gzip, sha256, streamOf, tarOf, tempDir } from './helpers/layer-tar.js';

const log = createLogger({ level: 'silent', format: 'json' });
let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

describe('applyLayer', () => {
  it('writes files, directories and symlinks and returns the diffID of the uncompressed tar', async () => {
    const tar = await tarOf([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/hostname', content: 'koker\n', mode: 0o644 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    ]);
    const target = join(dir.path, 'layer');
    const applied = await applyLayer(streamOf(gzip(tar)), { target, mediaType: TAR_GZIP }, { log });
    expect(applied.diffId).toBe(sha256(tar));
    expect(applied.size).toBe(6);
    expect(readFileSync(join(target, 'etc/hostname'), 'utf8')).toBe('koker\n');
    expect(readlinkSync(join(target, 'bin/sh'))).toBe('/bin/busybox');
    expect(lstatSync(join(target, 'etc')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(target, 'etc/hostname')).mtimeMs).toBe(1_600_000_000_000);
  });

  it('refuses a ".." entry and removes the partial layer', async () => {
    const tar = await tarOf([
      { name: 'ok', content: 'x' },
      { name: 'a/../../escape', content: 'x' },
    ]);
    const target = join(dir.path, 'layer');
    await expect(applyLayer(streamOf(tar), { target, mediaType: TAR }, { log })).rejects.toThrow(
      /a\/\.\.\/\.\.\/escape/,
    );
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir.path)).toEqual([]);
  });
});
