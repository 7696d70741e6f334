import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArchives, fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { koker, type KokerResult } from '../helpers/koker.js';
import { tempRoot, type TempRoot } from '../images/image-helpers.js';

// Files named on the command line and koker's root: bad ones end at once with one message
// (and a hint), exit 125, and nothing changed on the host.
let root: TempRoot;
let scratch: string;
beforeAll(async () => {
  root = await tempRoot('bad-files');
  scratch = mkdtempSync(join(tmpdir(), 'koker-e2e-bad-files-'));
  const archives = await fixtureArchives();
  expect((await root.run(['load', '-q', '-i', archives.busyboxDocker])).code).toBe(0);
});
afterAll(async () => {
  await root?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

function expectRefused(result: KokerResult, message: string | RegExp): void {
  expect(result.code).toBe(125);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  // What failed, and what to do: no stack trace.
  expect(lines[0]).toMatch(typeof message === 'string' ? `koker: ${message}` : message);
  expect(lines.slice(1).every((l) => l.startsWith('koker: hint: '))).toBe(true);
}

describe('files given to flags', () => {
  it('--env-file and seccomp profiles: a device, a FIFO, a directory, an oversize or missing file', async () => {
    const fifo = join(scratch, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const big = join(scratch, 'big.env');
    writeFileSync(big, `A=${'x'.repeat(2 * 1024 * 1024)}\n`);
    const started = Date.now();
    expectRefused(
      await root.run(['run', '--rm', '--env-file', '/dev/zero', 'busybox', 'true']),
      'invalid env file "/dev/zero": it is a character device, not a regular file',
    );
    expectRefused(
      await root.run(['run', '--rm', '--env-file', fifo, 'busybox', 'true']),
      `invalid env file "${fifo}": it is a FIFO, not a regular file`,
    );
    expectRefused(
      await root.run(['run', '--rm', '--env-file', scratch, 'busybox', 'true']),
      `invalid env file "${scratch}": it is a directory, not a regular file`,
    );
    expectRefused(
      await root.run(['run', '--rm', '--env-file', big, 'busybox', 'true']),
      `invalid env file "${big}": it is larger than 1 MiB`,
    );
    expectRefused(
      await root.run(['run', '--rm', '--env-file', join(scratch, 'none.env'), 'busybox', 'true']),
      `env file ${join(scratch, 'none.env')} does not exist`,
    );
    expectRefused(
      await root.run(['run', '--rm', '--security-opt', 'seccomp=/dev/zero', 'busybox', 'true']),
      'invalid seccomp profile "/dev/zero": it is a character device, not a regular file',
    );
    // At once: nothing was read from /dev/zero or waited for on the FIFO.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await root.run(['ps', '-aq'])).stdout).toBe('');
  });

  it('load -i refuses what is not a regular file', async () => {
    expectRefused(
      await root.run(['load', '-i', '/dev/zero']),
      'invalid input file "/dev/zero": it is a character device, not a regular file',
    );
    expectRefused(
      await root.run(['load', '-i', scratch]),
      `invalid input file "${scratch}": it is a directory, not a regular file`,
    );
  });

  it('login --password-stdin reads at most 64 KiB', async () => {
    expectRefused(
      await root.run(['login', '-u', 'me', '--password-stdin', '127.0.0.1:9'], {
        input: 'x'.repeat(100_000),
      }),
      'invalid password "stdin": more than 64 KiB',
    );
  });
});

describe('save -o', () => {
  it('never replaces a device, refuses a directory and a missing directory', async () => {
    const before = statSync('/dev/full');
    expectRefused(
      await root.run(['save', '-o', '/dev/full', 'busybox']),
      'invalid output file "/dev/full": it is a character device, not a regular file',
    );
    const after = statSync('/dev/full');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
    expectRefused(
      await root.run(['save', '-o', scratch, 'busybox']),
      `invalid output file "${scratch}": it is a directory, not a regular file`,
    );
    expectRefused(
      await root.run(['save', '-o', '/missing/dir/x.tar', 'busybox']),
      'cannot write output file /missing/dir/x.tar: directory /missing/dir does not exist',
    );
  });

  it('writes the archive whole, or leaves nothing beside it', async () => {
    const out = join(scratch, 'save');
    mkdirSync(out);
    expect((await root.run(['save', '-o', join(out, 'busybox.tar'), 'busybox'])).code).toBe(0);
    expect(readdirSync(out)).toEqual(['busybox.tar']);
    expectRefused(
      await root.run(['save', '-o', join(out, 'nope.tar'), 'nope:nope']),
      /^koker: no such image/,
    );
    expect(readdirSync(out)).toEqual(['busybox.tar']);
  });
});

describe('--root and KOKER_ROOT', () => {
  it('must be a non-empty absolute path outside /proc and /sys', async () => {
    expectRefused(await koker(['--root', '', 'images']), 'invalid root directory (--root) "": it is empty');
    expectRefused(
      await koker(['images'], { env: { KOKER_ROOT: '' } }),
      'invalid root directory (KOKER_ROOT) "": it is empty',
    );
    expectRefused(
      await koker(['--root', 'relative', 'images']),
      'invalid root directory (--root) "relative": must be an absolute path',
    );
    expectRefused(
      await koker(['--root', '/proc/koker', 'images']),
      'invalid root directory (--root) "/proc/koker": /proc is a kernel file system, not storage',
    );
    expectRefused(
      await koker(['--root', '/sys/fs/koker', 'images']),
      /^koker: invalid root directory \(--root\) "\/sys\/fs\/koker": \/sys is a kernel file system/,
    );
    expect(existsSync('/proc/koker')).toBe(false);
  });

  it('is normalised: a trailing slash names the same root', async () => {
    const listed = await koker(['--root', `${root.dir}//`, 'images']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('busybox');
  });
});

describe('a full disk', () => {
  let registry: FixtureRegistry;
  let small: string;
  beforeAll(async () => {
    registry = await fixtureRegistry();
    small = mkdtempSync(join(tmpdir(), 'koker-e2e-full-'));
    // 600 KiB: room for the store's directories, not for busybox's layer.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'koker-e2e-full', small]);
  });
  afterAll(async () => {
    await registry?.stop();
    if (small) {
      execFileSync('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    }
  });

  it('pull says "no space left on device" with the path, not that the layer is corrupt', async () => {
    const result = await koker(['--root', small, 'pull', registry.images.busybox]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^koker: no space left on device.*: ${small}/`, 'm'));
    expect(result.stderr).not.toMatch(/corrupt|unsafe/);
    expect(readdirSync(join(small, 'images', 'tmp'))).toEqual([]);
    expect((await koker(['--root', small, 'images', '-q'])).stdout).toBe('');
  });

  it('load says so too', async () => {
    const archives = await fixtureArchives();
    const result = await koker(['--root', small, 'load', '-i', archives.busyboxDocker]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^koker: no space left on device.*: ${small}/`, 'm'));
    expect(result.stderr).not.toMatch(/corrupt|unsafe/);
    expect(readdirSync(join(small, 'images', 'tmp'))).toEqual([]);
  });
});
