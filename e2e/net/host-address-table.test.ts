import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { loadConfig } from '@koker/core';
import { BridgeNetworkDriver, HOST_BRIDGES_DIR } from '@koker/net-bridge';
import { koker } from '../helpers/koker.js';
import { must } from './helpers/host-commands.js';
import { freeSubnetPrefix } from './helpers/net-fixture.js';

// One address table per bridge for the whole host: two koker roots (each its own --root and run
// root) sharing one bridge never hand out the same address.

const SCRIPT = fileURLToPath(new URL('../../scripts/build-busybox-image.sh', import.meta.url));
const PER_ROOT = 20;

let dir: string;
let roots: string[];
let env: NodeJS.ProcessEnv;
let bridge: string;
let subnetPrefix: string;

const kokerIn = (root: string, args: readonly string[]) => koker(['--root', root, ...args], { env });

/** Runs `jobs` with at most `width` at once. */
async function inBatches<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await (jobs[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

beforeAll(async () => {
  dir = mkdtempSync('/tmp/koker-e2e-hostipam-');
  roots = [join(dir, 'a'), join(dir, 'b')];
  bridge = `koker-t${randomBytes(3).toString('hex')}`;
  subnetPrefix = freeSubnetPrefix();
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ network: { bridge, subnet: `${subnetPrefix}.0/24` } }));
  env = { KOKER_CONFIG: configFile };
  const archive = join(dir, 'busybox.tar');
  execFileSync(SCRIPT, [archive, 'busybox:latest']);
  for (const root of roots) {
    const loaded = await kokerIn(root, ['load', '-i', archive]);
    expect(loaded.code, loaded.stderr).toBe(0);
  }
});

afterAll(async () => {
  try {
    for (const root of roots) {
      const all = (await kokerIn(root, ['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (all.length > 0) await kokerIn(root, ['rm', '-f', ...all]);
    }
    const config = { ...loadConfig({ env, flags: { root: roots[0] as string } }) };
    const driver = new BridgeNetworkDriver({
      config,
      log: createLogger({ level: 'silent', format: 'console' }),
      syscalls: new KoffiSyscalls(),
    });
    await driver.removeBridge();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(must('ip', ['-o', 'link', 'show'])).not.toContain(bridge);
  expect(existsSync(join(HOST_BRIDGES_DIR, bridge))).toBe(false);
});

describe('the host-wide address table', () => {
  it(`gives ${PER_ROOT} containers in each of two koker roots ${2 * PER_ROOT} distinct addresses`, async () => {
    const jobs = roots.flatMap((root) =>
      Array.from({ length: PER_ROOT }, () => async () => {
        const started = await kokerIn(root, ['run', '-d', 'busybox', 'sleep', '600']);
        expect(started.code, started.stderr).toBe(0);
        const id = started.stdout.trim();
        const inspect = await kokerIn(root, ['inspect', id]);
        expect(inspect.code, inspect.stderr).toBe(0);
        const [document] = JSON.parse(inspect.stdout) as { NetworkSettings: { IPAddress: string } }[];
        return document?.NetworkSettings.IPAddress ?? '';
      }),
    );
    const addresses = await inBatches(jobs, 6);
    expect(addresses.every((ip) => ip.startsWith(`${subnetPrefix}.`))).toBe(true);
    expect(new Set(addresses).size).toBe(2 * PER_ROOT);
    const table = JSON.parse(readFileSync(join(HOST_BRIDGES_DIR, bridge, 'leases.json'), 'utf8')) as {
      leases: { runRoot: string }[];
    };
    expect(new Set(table.leases.map((l) => l.runRoot))).toEqual(new Set(roots.map((r) => join(r, 'run'))));
  });

  it("leaves another root's leases alone when one root collects its garbage", async () => {
    const [a, b] = roots as [string, string];
    const ids = (await kokerIn(a, ['ps', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    expect(ids.length).toBe(PER_ROOT);
    const gc = await kokerIn(b, ['system', 'prune', '-f']);
    expect(gc.code, gc.stderr).toBe(0);
    const table = () =>
      (
        JSON.parse(readFileSync(join(HOST_BRIDGES_DIR, bridge, 'leases.json'), 'utf8')) as {
          leases: { id: string }[];
        }
      ).leases.map((l) => l.id);
    for (const id of ids) expect(table()).toContain(id);
  });
});
