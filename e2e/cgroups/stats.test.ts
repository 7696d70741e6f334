import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContainerId, parseByteSize, type ContainerId, type ResourceDriver } from '@koker/core';
import { KOKER_BIN, koker } from '../helpers/koker.js';
import { detectedDriver, joined, startIn, type Payload } from './harness.js';

let driver: ResourceDriver;
let root: string;
let cleanup: () => void;
const id: ContainerId = newContainerId();
let payload: Payload;

beforeAll(async () => {
  ({ driver, root, cleanup } = await detectedDriver());
  const placement = await driver.create(id, { memory: parseByteSize('64m'), pidsLimit: 32 });
  // Something that uses a little CPU and memory, and stays.
  payload = startIn(
    placement,
    `sh -c 'x=$(head -c 3000000 /dev/zero | tr "\\\\0" a); while :; do sleep 0.05; done'`,
  );
  await joined(placement, payload);
});

afterAll(async () => {
  for (const left of (await driver?.list()) ?? []) await driver.destroy(left);
  await payload?.exited;
  cleanup?.();
});

describe('koker stats', () => {
  it('shows memory, CPU and PIDs of the containers from their cgroups (--no-stream)', async () => {
    const result = await koker(['--root', root, 'stats', '--no-stream']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, row, ...rest] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +PIDS$/);
    expect(rest).toEqual([]);
    const cells = row?.split(/ {3,}/) ?? [];
    expect(cells[0]).toBe(id.slice(0, 12));
    expect(cells[2]).toMatch(/^\d+\.\d\d%$/);
    expect(cells[3]).toMatch(/^[\d.]+(B|KiB|MiB) \/ 64MiB$/);
    expect(cells[4]).toMatch(/^\d+\.\d\d%$/);
    expect(Number(cells[5])).toBeGreaterThanOrEqual(1);
  });

  it('takes ID prefixes, and says which container does not exist', async () => {
    const one = await koker(['--root', root, 'container', 'stats', '--no-stream', id.slice(0, 7)]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(id.slice(0, 12));
    const missing = await koker(['--root', root, 'stats', '--no-stream', 'ffffffffffff']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain('no such container: ffffffffffff');
  });

  it('streams a table a second until interrupted, then exits 0', async () => {
    const child = spawn(process.execPath, [KOKER_BIN, '--root', root, 'stats'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    while ((stdout.match(/CONTAINER ID/g)?.length ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain(id.slice(0, 12));
  });
});

describe('koker info', () => {
  it('shows which limits this host supports and where containers go', async () => {
    const result = await koker(['--root', root, 'info']);
    expect(result.stdout).toMatch(
      / {2}limits: +memory yes, cpu yes, cpuset yes, pids yes, swap accounting (yes|no)\n/,
    );
    expect(result.stdout).toMatch(/ {2}containers in: koker-[0-9a-f]{8} \(next to koker's own cgroup\)\n/);
  });
});
