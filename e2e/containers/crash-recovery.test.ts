import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KOKER_BIN } from '../helpers/koker.js';
import { firstLine, startContainerSuite, waitFor, type ContainerSuite } from './helpers/container-suite.js';

// SIGKILL at each step of a run and of a teardown, of koker and of the monitor: `ps` never fails
// and shows what happened, and the next command or `system prune` removes every leftover.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});
afterEach(async () => {
  // Whatever the case left is the next case's problem otherwise.
  const left = (await suite.koker(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
  if (left.length > 0) await suite.koker(['rm', '-f', ...left]);
});

interface Row {
  ID: string;
  State: string;
  Status: string;
  Reason?: string;
  ExitCode?: number;
}

async function psAll(): Promise<Row[]> {
  const result = await suite.koker(['ps', '-a', '--format', 'json', '--no-trunc']);
  expect(result.code).toBe(0);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
}

/** Prunes, then checks that nothing of a container is left: records, mounts, links, netns, cgroups, rules, leases. */
async function pruneAndCheck(): Promise<void> {
  const prune = await suite.koker(['system', 'prune', '-f']);
  expect(prune.stderr).not.toMatch(/ ERR /);
  expect(prune.code).toBe(0);
  expect(suite.containerDirs()).toEqual([]);
  expect(suite.containerLeaks()).toEqual([]);
  // The network driver's own state: no lease, no attachment record, no netns file.
  const leaseFile = `/run/koker/network/bridges/${suite.bridge}/leases.json`;
  const leases = existsSync(leaseFile)
    ? (
        JSON.parse(readFileSync(`/run/koker/network/bridges/${suite.bridge}/leases.json`, 'utf8')) as {
          leases: unknown[];
        }
      ).leases
    : [];
  expect(leases).toEqual([]);
  for (const dir of ['run/network/containers', 'run/netns']) {
    const entries = (() => {
      try {
        return readdirSync(`${suite.root}/${dir}`);
      } catch {
        return [];
      }
    })();
    expect(entries).toEqual([]);
  }
}

const crash = (step: string, args: readonly string[]) =>
  suite.koker(args, { env: { KOKER_CRASH_AT: step }, timeoutMs: 60_000 });

describe('koker killed during run -d', () => {
  const setupSteps = [
    'create:staged',
    'run:recorded',
    'run:rootfs',
    'run:cgroups',
    'run:network',
    'run:launched',
  ];
  for (const step of setupSteps) {
    it(`at ${step}: ps shows it exited with the reason, prune removes everything`, async () => {
      const result = await crash(step, ['run', '-d', '-p', '127.0.0.1::80', suite.image, 'sleep', '1000']);
      expect(result.signal).toBe('SIGKILL');
      const rows = await psAll();
      if (step === 'create:staged') {
        expect(rows).toEqual([]); // the record never appeared
      } else {
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          State: 'exited',
          ExitCode: 255,
          Reason: 'koker stopped while setting it up',
        });
        expect(rows[0]?.Status).toMatch(/^Exited \(255\) .*\(koker stopped while setting it up\)$/);
      }
      await pruneAndCheck();
    });
  }

  it('at run:running the container runs on (it was handed over), and rm -f removes it', async () => {
    const result = await crash('run:running', [
      'run',
      '-d',
      '-p',
      '127.0.0.1::80',
      suite.image,
      'sleep',
      '1000',
    ]);
    expect(result.signal).toBe('SIGKILL');
    const [row] = await psAll();
    expect(row).toMatchObject({ State: 'running' });
    await suite.must(['rm', '-f', row?.ID ?? '']);
    await pruneAndCheck();
  });
});

describe('koker killed during a teardown', () => {
  for (const step of [
    'teardown:cgroups',
    'teardown:rootfs',
    'teardown:network',
    'remove:torn-down',
    'remove:trashed',
  ]) {
    it(`rm -f killed at ${step}: the next command finishes the job`, async () => {
      const id = firstLine(
        await suite.must(['run', '-d', '-p', '127.0.0.1::80', suite.image, 'sleep', '1000']),
      );
      const result = await crash(step, ['rm', '-f', id]);
      expect(result.signal).toBe('SIGKILL');
      const rows = await psAll();
      if (step === 'remove:trashed') expect(rows).toEqual([]);
      else expect(rows.map((r) => [r.ID, r.State])).toEqual([[id, 'exited']]);
      // The next command that touches it finishes the removal.
      if (step !== 'remove:trashed') await suite.must(['rm', id]);
      await pruneAndCheck();
    });
  }

  for (const step of ['teardown:cgroups', 'teardown:rootfs', 'teardown:network', 'settle:torn-down']) {
    it(`the monitor's cleanup killed at ${step}: ps shows the real exit, prune cleans`, async () => {
      // The cleanup the monitor runs inherits run's environment, crash point included.
      const id = firstLine(
        await suite.must(['run', '-d', '-p', '127.0.0.1::80', suite.image, 'sh', '-c', 'exit 4'], {
          env: { KOKER_CRASH_AT: step },
        }),
      );
      await waitFor(
        () => !readdirSync(`${suite.root}/containers/${id}`).includes('keeper.lock') || true,
        'start',
      );
      await waitFor(async () => (await psAll())[0]?.State === 'exited', 'the container to end');
      await waitFor(() => {
        // The cleanup has run (and died) once the monitor process is gone.
        return !readdirSync('/proc').some((p) => {
          try {
            return (
              /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`cleanup\u0000${id}`)
            );
          } catch {
            return false;
          }
        });
      }, 'the cleanup to die');
      expect((await psAll())[0]).toMatchObject({ ID: id, State: 'exited', ExitCode: 4 });
      await pruneAndCheck();
    });
  }
});

describe('the monitor killed', () => {
  it('while the container runs: ps says its monitor died, prune stops and removes the container', async () => {
    const id = firstLine(
      await suite.must(['run', '-d', '-p', '127.0.0.1::80', suite.image, 'sleep', '1000']),
    );
    const monitor = readdirSync('/proc').find((p) => {
      try {
        return (
          /^\d+$/.test(p) &&
          readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(
            `${KOKER_BIN.replace(/packages\/cli\/bin\/koker$/, 'native/build/koker-monitor')}\u0000--dir\u0000${suite.root}/containers/${id}\u0000`,
          )
        );
      } catch {
        return false;
      }
    });
    expect(monitor).toBeDefined();
    process.kill(Number(monitor), 'SIGKILL');
    await waitFor(async () => (await psAll())[0]?.State === 'exited', 'ps to see the monitor gone');
    expect((await psAll())[0]).toMatchObject({ ID: id, ExitCode: 255, Reason: 'its monitor died' });
    await pruneAndCheck();
  });

  for (const step of ['monitor:reaped', 'monitor:exit-file']) {
    it(`at ${step}: ps shows what is known, prune cleans`, async () => {
      const id = firstLine(
        await suite.must(['run', '-d', '-p', '127.0.0.1::80', suite.image, 'sh', '-c', 'exit 5'], {
          env: { KOKER_CRASH_AT: step },
        }),
      );
      await waitFor(async () => (await psAll())[0]?.State === 'exited', 'the container to end');
      const [row] = await psAll();
      if (step === 'monitor:reaped')
        expect(row).toMatchObject({ ID: id, ExitCode: 255, Reason: 'its monitor died' });
      else expect(row).toMatchObject({ ID: id, ExitCode: 5 });
      await pruneAndCheck();
    });
  }
});

describe('an attached koker run killed', () => {
  it("leaves its container running under its monitor, as Docker's CLI does; rm -f and prune clean", async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      KOKER_BIN,
      ['--root', suite.root, 'run', '-p', '127.0.0.1::80', suite.image, 'sleep', '1000'],
      {
        stdio: 'ignore',
        env: { ...process.env, KOKER_CONFIG: `${suite.root}/config.json` },
      },
    );
    const ended = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(async () => (await psAll())[0]?.State === 'running', 'the container to run');
    child.kill('SIGKILL');
    await ended;
    // The attach client is gone; the monitor keeps the container (and `koker attach` can take it up).
    const row = (await psAll())[0];
    expect(row?.State).toBe('running');
    await suite.must(['rm', '-f', row?.ID ?? '']);
    await pruneAndCheck();
  });
});
