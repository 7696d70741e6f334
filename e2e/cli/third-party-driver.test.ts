import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArchives } from '../fixtures/fixture-registry.js';
import { koker } from '../helpers/koker.js';

// A driver package from outside the workspace, installed as a user would: @koker/core and the
// driver packed with `npm pack` and installed into a prefix of their own (from npm's cache where
// it can: `npm ci` caches tarballs, not the package documents an install of a tarball resolves
// its dependencies' ranges with, so a fresh machine asks the registry for those), then named in the config's "driverModules". The driver
// (e2e/fixtures/driver-module) has its own copy of @koker/core, not the one bundled in koker.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let root: string;
let env: NodeJS.ProcessEnv;

const npm = (args: string[]) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
  });
const run = (args: readonly string[]) =>
  koker(['--root', root, '--storage-driver', 'copydir', ...args], { env });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'koker-e2e-third-party-'));
  root = join(dir, 'root');
  for (const from of ['packages/core', 'e2e/fixtures/driver-module'])
    npm(['pack', join(REPO, from), '--pack-destination', dir]);
  const tarballs = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
  expect(tarballs.sort()).toEqual(['koker-core-0.1.0.tgz', 'koker-driver-e2e-1.0.0.tgz']);
  const prefix = join(dir, 'prefix');
  npm(['install', '--prefer-offline', '--prefix', prefix, ...tarballs.map((name) => join(dir, name))]);
  const module = join(prefix, 'node_modules', 'koker-driver-e2e', 'index.mjs');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ driverModules: [module] }));
  env = { KOKER_CONFIG: join(dir, 'config.json') };
  const loaded = await run(['load', '-i', (await fixtureArchives()).busyboxDocker]);
  expect(loaded.code, loaded.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a third-party driver package installed with npm', () => {
  it('shows up in koker info, forced, next to the built-in drivers', async () => {
    const result = await run(['info', '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const { drivers } = JSON.parse(result.stdout) as { drivers: Record<string, { selected?: string }> };
    expect(drivers.storage?.selected).toBe('copydir');
    expect(drivers.network?.selected).toBe('e2e-network');
  });

  it('runs a container: its storage driver prepares the root, its network driver attaches', async () => {
    const result = await run([
      '-D',
      '--network-driver',
      'e2e-network',
      'run',
      '--rm',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'echo hello from copydir; head -1 /etc/passwd; ip -o link | cut -d: -f2',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('hello from copydir\nroot:x:0:0:root:/root:/bin/sh\n lo\n');
    expect(result.stderr).toMatch(/DBG Select driver contract=storage driver=copydir forced=true/);
    expect(result.stderr).toMatch(/DBG Select driver contract=network driver=e2e-network forced=true/);
    expect(result.stderr).toMatch(/INF copydir prepared a root filesystem container=[0-9a-f]{12} layers=1/);
    expect(result.stderr).toMatch(/INF e2e-network attached an isolated container container=[0-9a-f]{12}/);
    // --rm: the copy is released.
    expect(readdirSync(join(root, 'copydir')).filter((name) => /^[0-9a-f]{64}$/.test(name))).toEqual([]);
  });

  it("reports a KokerError of the driver's own copy of @koker/core with its code and hint, exit 125", async () => {
    const text = await run(['run', '--rm', 'busybox', 'true']);
    expect(text.code, text.stderr).toBe(125);
    expect(text.stderr).toContain(
      'koker: the e2e network driver does not do --network bridge\nkoker: hint: run the container with --network none\n',
    );
    const json = await run(['--log-format', 'json', 'run', '--rm', 'busybox', 'true']);
    expect(json.code, json.stderr).toBe(125);
    const failure = json.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((record) => record.level === 50);
    expect(failure).toMatchObject({
      msg: 'the e2e network driver does not do --network bridge',
      code: 'PERMISSION',
      exitCode: 125,
      hint: 'run the container with --network none',
    });
    expect((await run(['ps', '-aq'])).stdout).toBe('');
  });
});
