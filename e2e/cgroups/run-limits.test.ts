import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  DriverCatalog,
  Resources,
  parseContainerId,
  type ContainerId,
  type ResourceDriver,
} from '@koker/core';
import { HostFacts } from '@koker/host';
import { CgroupHybridDriver, register as registerHybrid } from '@koker/driver-cgroup-hybrid';
import { CgroupV1Driver, register as registerV1 } from '@koker/driver-cgroup-v1';
import { CgroupV2Driver, register as registerV2 } from '@koker/driver-cgroup-v2';
import { createLogger } from '@koker/log';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { ALLOCATE_20_MIB, pidsEvents } from './harness.js';
import { KOKER_BIN, koker } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';

// The limits through the real `koker run`, with Docker's and the Go koker's flags; the host side is
// read with the resources driver koker itself uses (same root, so the same parent cgroup).
let registry: FixtureRegistry;
let image: string;
let root: string;
let driver: ResourceDriver;

beforeAll(async () => {
  registry = await fixtureRegistry();
  image = registry.images.busybox;
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-limits-'));
  const host = new HostFacts();
  const catalog = new DriverCatalog();
  for (const register of [registerV2, registerHybrid, registerV1]) register(catalog);
  const { chosen } = await catalog.select(Resources, { host, config: { ...DEFAULT_CONFIG, root } });
  const deps = { host, config: { root }, log: createLogger({ level: 'silent', format: 'console' }) };
  driver =
    chosen.name === 'cgroup-v2'
      ? new CgroupV2Driver(deps)
      : chosen.name === 'cgroup-v1'
        ? new CgroupV1Driver(deps)
        : new CgroupHybridDriver(deps);
  expect((await koker(['--root', root, 'pull', image])).code).toBe(0);
});

afterAll(async () => {
  await registry?.stop();
  if (root) await releaseKokerRoot(root);
});

const k = (args: string[]) => koker(['--root', root, '-q', ...args]);
const run = (args: string[]) => k(['run', '--network', 'none', ...args]);

async function detached(args: string[]): Promise<ContainerId> {
  const result = await run(['-d', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return parseContainerId(result.stdout.trim());
}

describe('limits through koker run', () => {
  it("kills the Go koker's example (20 MiB in --mem 10): exit 137, the message, and inspect says so", async () => {
    const result = await run(['--name', 'koker-oom', '--mem', '10', image, ...ALLOCATE_20_MIB]);
    expect(result.code).toBe(137);
    expect(result.stderr).toContain('koker: container was killed: out of memory (limit 10 MiB)\n');
    const [state] = JSON.parse((await k(['inspect', 'koker-oom'])).stdout) as {
      State: { OOMKilled: boolean; ExitCode: number };
    }[];
    expect(state?.State).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    expect((await k(['rm', 'koker-oom'])).code).toBe(0);
  });

  it('lets it complete with -m 128m', async () => {
    const result = await run(['--rm', '-m', '128m', image, ...ALLOCATE_20_MIB]);
    expect(result.stderr).toContain('1+0 records out');
    expect(result.stderr).not.toContain('out of memory');
    expect(result.code).toBe(0);
  });

  it('stops a fork bomb at --pids-limit; stats shows it; rm -f tears it down', async () => {
    const id = await detached([
      '--pids-limit',
      '20',
      '--cpus',
      '0.5',
      image,
      'sh',
      '-c',
      'bomb() { bomb | bomb & }; bomb; exec sleep 300',
    ]);
    const { procsFiles } = await driver.placement(id);
    const deadline = Date.now() + 30_000;
    while (pidsEvents(procsFiles) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(pidsEvents(procsFiles)).toBeGreaterThan(0);
    const stats = await k(['stats', '--no-stream', id.slice(0, 12)]);
    const row = stats.stdout.split('\n')[1]?.split(/ {3,}/) ?? [];
    expect(row[0]).toBe(id.slice(0, 12));
    expect(Number(row[7])).toBeLessThanOrEqual(20);
    expect((await k(['rm', '-f', id])).code).toBe(0);
    await expect(driver.placement(id)).rejects.toThrow('has no cgroup');
  });

  it('throttles --cpus 0.2 (nr_throttled grows), shown by stats as about 20% CPU', async () => {
    const id = await detached([
      '--cpus',
      '0.2',
      '--name',
      'koker-busy',
      image,
      'sh',
      '-c',
      'while :; do :; done',
    ]);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await driver.stats(id)).cpuThrottledPeriods).toBeGreaterThan(0);
      const stats = await k(['stats', '--no-stream']);
      const row =
        stats.stdout
          .split('\n')
          .find((line) => line.startsWith(id.slice(0, 12)))
          ?.split(/ {3,}/) ?? [];
      expect(row[1]).toBe('koker-busy');
      expect(Number.parseFloat(row[2] ?? 'NaN')).toBeLessThan(50);
    } finally {
      await k(['rm', '-f', id]);
    }
  });

  it("exec joins the container's cgroups, seen as / through its cgroup namespace", async () => {
    const id = await detached(['--pids-limit', '50', image, 'sleep', '300']);
    try {
      const own = await k(['exec', id, 'cat', '/proc/self/cgroup']);
      expect(own.code).toBe(0);
      const lines = own.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/:\/$/);
      expect((await driver.stats(id)).pids).toBe(1);
      const { procsFiles } = await driver.placement(id);
      const members = readFileSync(procsFiles[procsFiles.length - 1] ?? '', 'utf8')
        .trim()
        .split('\n');
      expect(members.length).toBe(1);
    } finally {
      await k(['rm', '-f', id]);
    }
  });

  it('refuses limits the host cannot honour before creating anything', async () => {
    const before = (await k(['ps', '-a', '-q'])).stdout;
    const cpuset = await run(['--rm', '--cpuset-cpus', '4000', image, 'true']);
    expect(cpuset.code).toBe(125);
    expect(cpuset.stderr).toContain('koker: invalid cpuset "4000": CPU 4000 is not available on this host');
    const memory = await run(['--rm', '-m', '1m', image, 'true']);
    expect(memory.code).toBe(125);
    expect(memory.stderr).toContain('koker: invalid memory limit "1 MiB": the minimum is 6 MiB');
    const swap = await run(['--rm', '--swap', '10', image, 'true']);
    expect(swap.code).toBe(125);
    expect(swap.stderr).toContain('--swap needs a memory limit');
    expect((await k(['ps', '-a', '-q'])).stdout).toBe(before);
    expect(await driver.list()).toEqual([]);
  });
});

describe('koker stats', () => {
  let id: ContainerId;
  beforeAll(async () => {
    // Something that holds a little memory and stays.
    id = await detached([
      '--name',
      'koker-stats',
      '-m',
      '64m',
      image,
      'sh',
      '-c',
      'x=$(head -c 3000000 /dev/zero | tr "\\0" a); while :; do sleep 0.05; done',
    ]);
  });
  afterAll(async () => {
    if (id) await k(['rm', '-f', id]);
  });

  it('shows CPU, memory and PIDs of running containers as docker stats does (--no-stream)', async () => {
    const result = await k(['stats', '--no-stream']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/,
    );
    const cells = rows.find((r) => r.startsWith(id.slice(0, 12)))?.split(/ {3,}/) ?? [];
    expect(cells[1]).toBe('koker-stats');
    expect(cells[2]).toMatch(/^\d+\.\d\d%$/);
    expect(cells[3]).toMatch(/^[\d.]+(B|KiB|MiB) \/ 64MiB$/);
    expect(cells[4]).toMatch(/^\d+\.\d\d%$/);
    // Docker's decimal sizes: received / sent (no network here: --), read / written.
    expect(cells[5]).toMatch(/^(--|[\d.]+k?B \/ [\d.]+k?B)$/);
    expect(cells[6]).toMatch(/^[\d.]+[kMG]?B \/ [\d.]+[kMG]?B$/);
    expect(Number(cells[7])).toBeGreaterThanOrEqual(1);
  });

  it('takes names and ID prefixes; a stopped container shows dashes; an unknown one fails', async () => {
    const one = await k(['container', 'stats', '--no-stream', 'koker-stats']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(id.slice(0, 12));
    const stopped = await run(['--name', 'koker-stopped', image, 'true']);
    expect(stopped.code).toBe(0);
    const both = await k(['stats', '--no-stream', id.slice(0, 8), 'koker-stopped']);
    expect(both.stdout.trimEnd().split('\n')[2]).toMatch(
      /^[0-9a-f]{12} +koker-stopped +-- +-- +-- +-- +-- +--$/,
    );
    await k(['rm', 'koker-stopped']);
    const missing = await k(['stats', '--no-stream', 'koker-nosuch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('koker-nosuch');
  });

  it('streams a table a second until interrupted, then exits 0', async () => {
    const child = spawn(KOKER_BIN, ['--root', root, 'stats'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    while ((stdout.match(/CONTAINER ID/g)?.length ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    expect(stdout).toContain('koker-stats');
  });
});

describe('koker info', () => {
  it('shows which limits this host supports and where containers go', async () => {
    const result = await k(['info']);
    expect(result.stdout).toMatch(
      / {2}limits: +memory yes, cpu yes, cpuset yes, pids yes, swap accounting (yes|no)\n/,
    );
    expect(result.stdout).toMatch(/ {2}containers in: koker-[0-9a-f]{8} \(next to koker's own cgroup\)\n/);
  });
});
