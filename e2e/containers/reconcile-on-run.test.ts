import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/registry.js';
import { startContainerSuite, type ContainerSuite } from './helpers/container-suite.js';

// `kill -9` of `koker run -d -p PORT:80` at each step of its setup, then a plain `run -p PORT:80`
// on the same port: the next run settles the dead container (its netns, port, veth, cgroups and
// mounts) itself, without `prune`, and works.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});
afterEach(async () => {
  const left = (await suite.koker(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
  if (left.length > 0) await suite.koker(['rm', '-f', ...left]);
});

interface Row {
  ID: string;
  State: string;
  Reason?: string;
}

const SETUP_STEPS = [
  'create:staged',
  'run:recorded',
  'run:rootfs',
  'run:cgroups',
  'run:network',
  'run:launched',
];

describe('the next run -p on the same port after koker was killed during run -d -p', () => {
  for (const step of SETUP_STEPS) {
    it(`at ${step}: works, and nothing of the dead container is left`, async () => {
      const publish = `127.0.0.1:${await freePort()}:80`;
      const crashed = await suite.koker(['run', '-d', '-p', publish, suite.image, 'sleep', '1000'], {
        env: { KOKER_CRASH_AT: step },
      });
      expect(crashed.signal).toBe('SIGKILL');
      const next = await suite.koker(['run', '--rm', '-p', publish, suite.image, 'echo', 'next'], {
        timeoutMs: 60_000,
      });
      expect(next.stderr).not.toMatch(/ ERR |already published|in use/);
      expect(next.code).toBe(0);
      expect(next.stdout).toBe('next\n');
      // The dead container stays listed, as exited with the reason; its resources are gone.
      const rows = (await suite.koker(['ps', '-a', '--format', 'json', '--no-trunc'])).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Row);
      if (step === 'create:staged') expect(rows).toEqual([]);
      else
        expect(rows.map((r) => [r.State, r.Reason])).toEqual([
          ['exited', 'koker stopped while setting it up'],
        ]);
      expect(suite.containerLeaks()).toEqual([]);
      // The network driver's own state: no lease, no attachment record, no netns file.
      const leaseFile = join('/run/koker/network/bridges', suite.bridge, 'leases.json');
      const leases = existsSync(leaseFile)
        ? (JSON.parse(readFileSync(leaseFile, 'utf8')) as { leases: unknown[] }).leases
        : [];
      expect(leases).toEqual([]);
      for (const dir of ['run/network/containers', 'run/netns'])
        expect(existsSync(join(suite.root, dir)) ? readdirSync(join(suite.root, dir)) : []).toEqual([]);
    });
  }
});
