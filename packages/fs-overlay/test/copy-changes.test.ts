import { execFileSync } from 'node:child_process';
import {
  cpSync,
  lutimesSync,
  mkdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyChanges } from '../src/index.js';
import { tempDir } from './helpers/layer-tar.js';

let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const isRoot = process.geteuid?.() === 0;

function file(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

describe('copyChanges', () => {
  it.runIf(isRoot)("compares a full copy with the image's layers, whiteouts and opacity applied", () => {
    const lower = join(dir.path, 'lower');
    const upper = join(dir.path, 'upper');
    file(join(lower, 'etc/passwd'), 'root\n');
    file(join(lower, 'etc/group'), 'root\n');
    file(join(lower, 'etc/gone'), 'whited out in the upper layer\n');
    file(join(lower, 'opaque/old'), 'hidden by opacity\n');
    file(join(lower, 'usr/bin/tool'), 'tool\n');
    symlinkSync('passwd', join(lower, 'etc/link'));
    mkdirSync(join(upper, 'etc'), { recursive: true });
    execFileSync('mknod', [join(upper, 'etc/gone'), 'c', '0', '0']);
    file(join(upper, 'opaque/new'), 'in the opaque dir\n');
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(upper, 'opaque')]);
    // The container's copy: the image flattened, then changed.
    const rootfs = join(dir.path, 'rootfs');
    cpSync(lower, rootfs, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    rmSync(join(rootfs, 'etc/gone'));
    rmSync(join(rootfs, 'opaque/old'));
    file(join(rootfs, 'opaque/new'), 'in the opaque dir\n');
    // The differ compares mtimes to the second: files written apart (and a symlink, whose own
    // time cpSync does not keep) get one time, else a second boundary between them is a change.
    const then = new Date('2026-01-01T00:00:00Z');
    for (const root of [upper, rootfs]) utimesSync(join(root, 'opaque/new'), then, then);
    for (const root of [lower, rootfs]) lutimesSync(join(root, 'etc/link'), then, then);
    // Unchanged so far: the image itself.
    expect(copyChanges(rootfs, [upper, lower], { mountTargets: ['/proc'] })).toEqual([]);

    writeFileSync(join(rootfs, 'etc/passwd'), 'root\nmore\n');
    rmSync(join(rootfs, 'etc/group'));
    rmSync(join(rootfs, 'usr'), { recursive: true });
    unlinkSync(join(rootfs, 'etc/link'));
    symlinkSync('group', join(rootfs, 'etc/link'));
    file(join(rootfs, 'opt/a/b'), 'new\n');
    mkdirSync(join(rootfs, 'proc'));
    const lines = copyChanges(rootfs, [upper, lower], { mountTargets: ['/proc'] }).map(
      (c) => `${c.kind} ${c.path}`,
    );
    expect(lines).toEqual([
      'C /etc',
      'D /etc/group',
      'C /etc/link',
      'C /etc/passwd',
      'A /opt',
      'A /opt/a',
      'A /opt/a/b',
      'D /usr',
    ]);
  });
});
