import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KOKER_BIN, koker } from '../helpers/koker.js';

const CLI = dirname(dirname(KOKER_BIN));
const SNAPSHOT = join(CLI, 'dist', 'snapshot', 'koker.blob');

async function startedFrom(run: typeof koker, env: NodeJS.ProcessEnv = {}): Promise<string | null> {
  const result = await run(['info', '--format', 'json'], { env });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { startupSnapshot: string | null }).startupSnapshot;
}

// A copy of the command's files elsewhere: bin/ and the snapshot copied, the bundle linked.
const elsewhere = mkdtempSync(join(tmpdir(), 'koker-e2e-launcher-'));
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

function copyOfKoker(stamp: 'same node' | 'another node'): { dir: string; run: typeof koker } {
  const dir = mkdtempSync(join(elsewhere, 'cli-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'snapshot'), { recursive: true });
  for (const file of ['koker', 'koker.js']) copyFileSync(join(CLI, 'bin', file), join(dir, 'bin', file));
  symlinkSync(join(CLI, 'dist', 'bundle'), join(dir, 'dist', 'bundle'));
  for (const file of ['koker.blob', 'import-module.cjs'])
    copyFileSync(join(dirname(SNAPSHOT), file), join(dir, 'dist', 'snapshot', file));
  if (stamp === 'same node')
    copyFileSync(join(CLI, 'dist', 'snapshot', 'node.stamp'), join(dir, 'dist', 'snapshot', 'node.stamp'));
  else writeFileSync(join(dir, 'dist', 'snapshot', 'node.stamp'), '1 2 3\n');
  return { dir, run: (args, options) => koker(args, { ...options, bin: join(dir, 'bin', 'koker') }) };
}

describe('the koker launcher (bin/koker)', () => {
  it('starts Node from the start-up snapshot built with koker', async () => {
    expect(await startedFrom(koker)).toBe(SNAPSHOT);
    const text = await koker(['info']);
    expect(text.stdout).toContain(`Started from:    ${SNAPSHOT}\n`);
  });

  it('loads the bundle instead with KOKER_SNAPSHOT=0 or NODE_OPTIONS, and says the same', async () => {
    expect(await startedFrom(koker, { KOKER_SNAPSHOT: '0' })).toBeNull();
    expect(await startedFrom(koker, { NODE_OPTIONS: '--max-old-space-size=256' })).toBeNull();
    const fromSnapshot = await koker(['--version']);
    const fromBundle = await koker(['--version'], { env: { KOKER_SNAPSHOT: '0' } });
    expect(fromSnapshot.code).toBe(0);
    expect(fromBundle).toEqual(fromSnapshot);
    const helpFromBundle = await koker(['run', '--help'], { env: { KOKER_SNAPSHOT: '0' } });
    expect((await koker(['run', '--help'])).stdout).toBe(helpFromBundle.stdout);
  });

  it('starts a pull from the bundle, every other command from the snapshot, both with a small young generation and one malloc arena', async () => {
    const root = mkdtempSync(join(elsewhere, 'root-'));
    // How Node was started, from the first debug line (a pull of a closed loopback port fails fast).
    const start = async (args: readonly string[], env: NodeJS.ProcessEnv = {}) => {
      const result = await koker(['--root', root, '--log-format', 'json', '--debug', ...args], { env });
      const first = JSON.parse(result.stderr.split('\n')[0]) as {
        msg: string;
        startupSnapshot: string | null;
        nodeFlags: string[];
        mallocArenaMax: string | null;
      };
      expect(first.msg).toBe('Start koker');
      return {
        code: result.code,
        snapshot: first.startupSnapshot,
        flags: first.nodeFlags,
        arenas: first.mallocArenaMax,
      };
    };
    for (const pull of [['pull'], ['image', 'pull'], ['i', 'pull']]) {
      const pulled = await start([...pull, '127.0.0.1:1/koker-e2e-nothing']);
      expect(pulled).toEqual({ code: 1, snapshot: null, flags: ['--max-semi-space-size=1'], arenas: '1' });
    }
    // `pull` as another command's argument is no pull; the snapshot starts with the flags it was made with.
    expect(await start(['images', 'pull'])).toEqual({
      code: 0,
      snapshot: SNAPSHOT,
      flags: ['--max-semi-space-size=1', '--snapshot-blob', SNAPSHOT],
      arenas: '1',
    });
    // A `run` that pulls its image starts as every other command (from the snapshot).
    const run = await start(['run', '--rm', '--network', 'none', '127.0.0.1:1/koker-e2e-nothing', 'true']);
    expect(run).toEqual({
      code: 125,
      snapshot: SNAPSHOT,
      flags: ['--max-semi-space-size=1', '--snapshot-blob', SNAPSHOT],
      arenas: '1',
    });
    // The user's own MALLOC_ARENA_MAX is kept.
    expect((await start(['image', 'ls'], { MALLOC_ARENA_MAX: '2' })).arenas).toBe('2');
  });

  it('starts the blob of an earlier build, whose stamp names no flags, without any', async () => {
    const old = copyOfKoker('same node');
    const snapshot = join(old.dir, 'dist', 'snapshot');
    const made = spawnSync(
      process.execPath,
      [
        '--no-warnings',
        '--snapshot-blob',
        join(snapshot, 'koker.blob'),
        '--build-snapshot',
        join(dirname(SNAPSHOT), 'koker.cjs'),
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const stamp = readFileSync(join(dirname(SNAPSHOT), 'node.stamp'), 'utf8').split('\n')[0];
    writeFileSync(join(snapshot, 'node.stamp'), `${stamp}\n`);
    expect(await startedFrom(old.run)).toBe(join(snapshot, 'koker.blob'));
  });

  it('runs from the blob named relative to the working directory, as by hand', async () => {
    // With the V8 flags the blob was made with, from the second line of its stamp.
    const flags =
      readFileSync(join(dirname(SNAPSHOT), 'node.stamp'), 'utf8')
        .split('\n')[1]
        ?.split(' ') ?? [];
    expect(flags).toEqual(['--max-semi-space-size=1']);
    const result = spawnSync(
      process.execPath,
      [
        ...flags,
        '--snapshot-blob',
        'dist/snapshot/koker.blob',
        '--',
        '--root',
        '/nonexistent-koker-root',
        'ps',
      ],
      { cwd: CLI, encoding: 'utf8' },
    );
    expect(result.stderr).not.toContain('ERR_INVALID_ARG_VALUE');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE/);
  });

  it('works from another directory, and ignores a snapshot another node binary made', async () => {
    const moved = copyOfKoker('same node');
    expect(await startedFrom(moved.run)).toBe(join(moved.dir, 'dist', 'snapshot', 'koker.blob'));
    const stale = copyOfKoker('another node');
    expect(await startedFrom(stale.run)).toBeNull();
    const usage = await stale.run(['run', '--no-such-flag', 'busybox']);
    expect(usage.code).toBe(125);
  });

  it("loads a third party's driver module named in KOKER_DRIVERS, from the snapshot and the bundle", async () => {
    const module = fileURLToPath(new URL('../fixtures/driver-module/index.mjs', import.meta.url));
    for (const env of [{}, { KOKER_SNAPSHOT: '0' }]) {
      const result = await koker(['info', '--format', 'json'], { env: { ...env, KOKER_DRIVERS: module } });
      expect(result.code, result.stderr).toBe(0);
      const info = JSON.parse(result.stdout) as { drivers: { network: { selected?: string } } };
      expect(info.drivers.network.selected).toBe('e2e-network');
    }
    const missing = await koker(['info'], { env: { KOKER_DRIVERS: '/nonexistent/driver.mjs' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot load driver module "/nonexistent/driver.mjs"');
  });
});
