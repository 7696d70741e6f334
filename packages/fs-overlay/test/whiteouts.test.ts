import { lstatSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@koker/log';
import { applyLayer } from '../src/index.js';
import { AtCalls } from '../src/kernel/at-calls.js';
import { TAR, streamOf, tarOf, tempDir } from './helpers/layer-tar.js';

const log = createLogger({ level: 'silent', format: 'json' });
let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const isRoot = process.geteuid?.() === 0;

describe.runIf(isRoot)('whiteouts in overlayfs form', () => {
  it('turns .wh.NAME into a 0/0 character device and .wh..wh..opq into the opaque xattr', async () => {
    const tar = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.passwd', content: '' },
      { name: 'var/cache/.wh..wh..opq', content: '' },
      { name: 'var/cache/new', content: 'n' },
      { name: '.wh..wh.plnk/123', content: '' },
    ]);
    const target = join(dir.path, 'layer');
    await applyLayer(streamOf(tar), { target, mediaType: TAR }, { log });
    const whiteout = lstatSync(join(target, 'etc/passwd'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);
    expect(existsSync(join(target, 'etc/.wh.passwd'))).toBe(false);
    expect(new AtCalls().lgetxattr(join(target, 'var/cache'), 'trusted.overlay.opaque')?.toString()).toBe(
      'y',
    );
    expect(existsSync(join(target, 'var/cache/.wh..wh..opq'))).toBe(false);
    expect(existsSync(join(target, 'var/cache/new'))).toBe(true);
    expect(existsSync(join(target, '.wh..wh.plnk'))).toBe(false);
  });

  it('keeps OCI semantics when a whiteout and a real entry of one name share a layer', async () => {
    const tar = await tarOf([
      { name: '.wh.was-deleted', content: '' },
      { name: 'was-deleted/', type: 'directory' },
      { name: 'was-deleted/new', content: 'n' },
      { name: 'exists/', type: 'directory' },
      { name: '.wh.exists', content: '' },
      { name: 'file', content: 'f' },
      { name: '.wh.file', content: '' },
    ]);
    const target = join(dir.path, 'layer');
    await applyLayer(streamOf(tar), { target, mediaType: TAR }, { log });
    const sys = new AtCalls();
    // A directory that replaces a whiteout hides the lower directory's content: opaque.
    expect(sys.lgetxattr(join(target, 'was-deleted'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    // A whiteout only hides lower layers: this layer's own entries stay.
    expect(sys.lgetxattr(join(target, 'exists'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(lstatSync(join(target, 'file')).isFile()).toBe(true);
  });
});
