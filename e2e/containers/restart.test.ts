import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KOKER_BIN } from '../helpers/koker.js';
import {
  alive,
  firstLine,
  startContainerSuite,
  waitFor,
  type ContainerSuite,
} from './helpers/container-suite.js';

// Restart policies: the monitor's cleanup applies them with Docker's back-off; a container
// whose monitor was killed is restarted by the next command that settles it; `system boot`
// starts always/unless-stopped containers on a machine where none of their processes survived.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

interface Inspected {
  Id: string;
  RestartCount: number;
  State: { Status: string; Running: boolean; Restarting: boolean; Pid: number; ExitCode: number };
  HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number } };
}
const inspect = async (name: string) => (JSON.parse(await suite.must(['inspect', name])) as Inspected[])[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The koker-monitor process of a container. */
function monitorOf(id: string): number | undefined {
  const monitor = KOKER_BIN.replace(/packages\/cli\/bin\/koker$/, 'native/build/koker-monitor');
  const pid = readdirSync('/proc').find((p) => {
    try {
      return (
        /^\d+$/.test(p) &&
        readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(
          `${monitor}\u0000--dir\u0000${suite.root}/containers/${id}\u0000`,
        )
      );
    } catch {
      return false;
    }
  });
  return pid === undefined ? undefined : Number(pid);
}

describe('--restart', () => {
  it(
    'on-failure:2 restarts a failing container twice, then leaves it exited',
    { timeout: 60_000 },
    async () => {
      await suite.must([
        'run',
        '-d',
        '--name',
        'fails',
        '--restart',
        'on-failure:2',
        suite.image,
        'sh',
        '-c',
        'exit 3',
      ]);
      await waitFor(async () => {
        const doc = await inspect('fails');
        return doc.RestartCount === 2 && doc.State.Status === 'exited' && !doc.State.Restarting;
      }, 'two restarts');
      await sleep(1500);
      const doc = await inspect('fails');
      expect(doc).toMatchObject({
        RestartCount: 2,
        State: { Status: 'exited', ExitCode: 3, Restarting: false },
        HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
      });
      await suite.must(['rm', 'fails']);
    },
  );

  it(
    'an attached run exits with the code, and its policy restarts it in the background',
    { timeout: 60_000 },
    async () => {
      const result = await suite.koker([
        'run',
        '--name',
        'attached',
        '--restart',
        'on-failure:1',
        suite.image,
        'sh',
        '-c',
        'exit 4',
      ]);
      expect(result.code).toBe(4);
      await waitFor(async () => {
        const doc = await inspect('attached');
        return doc.RestartCount === 1 && doc.State.Status === 'exited' && !doc.State.Restarting;
      }, 'one restart');
      expect((await inspect('attached')).State.ExitCode).toBe(4);
      await suite.must(['rm', 'attached']);
    },
  );

  it('on-failure does not restart a clean exit', async () => {
    await suite.must(['run', '-d', '--name', 'clean', '--restart', 'on-failure', suite.image, 'true']);
    await waitFor(async () => (await inspect('clean')).State.Status === 'exited', 'its exit');
    await sleep(1000);
    expect((await inspect('clean')).RestartCount).toBe(0);
    await suite.must(['rm', 'clean']);
  });

  it('always restarts a container whose process was killed', { timeout: 60_000 }, async () => {
    await suite.must(['run', '-d', '--name', 'always', '--restart', 'always', suite.image, 'sleep', '1000']);
    const first = await inspect('always');
    process.kill(first.State.Pid, 'SIGKILL');
    await waitFor(async () => {
      const doc = await inspect('always');
      return doc.RestartCount === 1 && doc.State.Running;
    }, 'the restart');
    const second = await inspect('always');
    expect(second.State.Pid).not.toBe(first.State.Pid);
    expect(alive(second.State.Pid)).toBe(true);
    // stop ends the policy: it stays stopped.
    await suite.must(['stop', '-t', '1', 'always']);
    await sleep(1000);
    expect((await inspect('always')).State).toMatchObject({ Running: false, Restarting: false });
    await suite.must(['rm', 'always']);
  });

  it('stop during the back-off calls the restart off', { timeout: 60_000 }, async () => {
    await suite.must([
      'run',
      '-d',
      '--name',
      'loop',
      '--restart',
      'always',
      suite.image,
      'sh',
      '-c',
      'exit 1',
    ]);
    // Each failure doubles the wait: from the 5th restart on it is 1.6 s and more.
    await waitFor(async () => (await inspect('loop')).RestartCount >= 4, 'four restarts', 30_000);
    await waitFor(async () => (await inspect('loop')).State.Restarting, 'a back-off');
    // ps says so, as Docker does.
    await waitFor(async () => {
      const rows = (await suite.must(['ps', '-a', '--format', 'json'])).split('\n').filter(Boolean);
      const row = rows
        .map((line) => JSON.parse(line) as { Names: string; Status: string })
        .find((r) => r.Names === 'loop');
      return /^Restarting \(1\)/.test(row?.Status ?? '');
    }, 'ps to show Restarting');
    const started = Date.now();
    await suite.must(['stop', 'loop']);
    expect(Date.now() - started).toBeLessThan(5000);
    const count = (await inspect('loop')).RestartCount;
    await sleep(4000);
    expect(await inspect('loop')).toMatchObject({
      RestartCount: count,
      State: { Status: 'exited', Running: false, Restarting: false },
    });
    await suite.must(['rm', 'loop']);
  });

  it(
    'outlives a kill -9 of the monitor: the next command that settles it restarts it',
    { timeout: 60_000 },
    async () => {
      const id = firstLine(
        await suite.must([
          'run',
          '-d',
          '--name',
          'orphan',
          '--restart',
          'always',
          suite.image,
          'sleep',
          '1000',
        ]),
      );
      const monitor = monitorOf(id);
      expect(monitor).toBeDefined();
      process.kill(monitor!, 'SIGKILL');
      await waitFor(() => !alive(monitor!), 'the monitor to die');
      // inspect settles it (its monitor died: 255) and hands the policy to a cleanup of its own.
      await waitFor(async () => {
        const doc = await inspect('orphan');
        return doc.RestartCount === 1 && doc.State.Running;
      }, 'the restart');
      expect(monitorOf(id)).toBeDefined();
      await suite.must(['rm', '-f', 'orphan']);
    },
  );

  it(
    'system boot starts always and unless-stopped containers whose processes are gone',
    { timeout: 90_000 },
    async () => {
      const run = async (name: string, policy: string[]) =>
        firstLine(await suite.must(['run', '-d', '--name', name, ...policy, suite.image, 'sleep', '1000']));
      const ids = {
        always: await run('boot-always', ['--restart', 'always']),
        unless: await run('boot-unless', ['--restart', 'unless-stopped']),
        stopped: await run('boot-stopped', ['--restart', 'unless-stopped']),
        none: await run('boot-none', []),
      };
      await suite.must(['stop', '-t', '1', 'boot-stopped']);
      // A reboot: every monitor and container process gone at once, nothing recorded.
      for (const id of [ids.always, ids.unless, ids.none]) {
        const pid = (await inspect(id)).State.Pid;
        process.kill(monitorOf(id)!, 'SIGKILL');
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !alive(pid), 'the container process to die');
      }
      const booted = await suite.must(['system', 'boot']);
      expect(booted.split('\n').filter(Boolean).sort()).toEqual(['boot-always', 'boot-unless']);
      for (const name of ['boot-always', 'boot-unless'])
        expect((await inspect(name)).State.Running).toBe(true);
      for (const name of ['boot-stopped', 'boot-none'])
        expect((await inspect(name)).State.Running).toBe(false);
      await suite.must(['rm', '-f', ...Object.values(ids)]);
    },
  );
});
