import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsSince, startContainerSuite, waitFor, type ContainerSuite } from './helpers/container-suite.js';

// Health checks: run by a companion of the container's monitor, through the exec path; the
// state in inspect (State.Health) and in ps's STATUS.
let suite: ContainerSuite;
beforeAll(async () => {
  suite = await startContainerSuite();
});
afterAll(async () => {
  await suite?.stop();
  expect(suite?.leaks() ?? []).toEqual([]);
});

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}
interface Inspected {
  State: { Running: boolean; Health?: Health };
  Config: { Healthcheck?: { Test: string[]; Interval: number; Retries: number } };
}
const inspect = async (name: string) => (JSON.parse(await suite.must(['inspect', name])) as Inspected[])[0]!;
const health = async (name: string) => (await inspect(name)).State.Health;
const psStatus = async (name: string) => {
  const rows = (await suite.must(['ps', '-a', '--format', 'json'])).split('\n').filter(Boolean);
  return rows.map((l) => JSON.parse(l) as { Names: string; Status: string }).find((r) => r.Names === name)
    ?.Status;
};

/** The argv of the monitor of container `id`, from /proc. */
function monitorArgv(id: string): string[] {
  const dir = join(suite.root, 'containers', id);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[0]?.endsWith('koker-monitor') && argv[argv.indexOf('--dir') + 1] === dir) return argv;
  }
  throw new Error(`no monitor for ${id}`);
}

describe('health checks', () => {
  it('go healthy -> unhealthy -> healthy as the check passes and fails', { timeout: 90_000 }, async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await suite.must([
      'run',
      '-d',
      '--name',
      'checked',
      '--health-cmd',
      'test -e /tmp/ok && echo fine',
      '--health-interval',
      '300ms',
      '--health-timeout',
      '5s',
      '--health-retries',
      '2',
      suite.image,
      'sh',
      '-c',
      'touch /tmp/ok; exec sleep 1000',
    ]);
    expect((await inspect('checked')).Config.Healthcheck).toMatchObject({
      Test: ['CMD-SHELL', 'test -e /tmp/ok && echo fine'],
      Interval: 300_000_000,
      Retries: 2,
    });
    await waitFor(async () => (await health('checked'))?.Status === 'healthy', 'healthy', 30_000);
    expect(await psStatus('checked')).toMatch(/^Up .* \(healthy\)$/);
    expect((await health('checked'))?.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });

    await suite.must(['exec', 'checked', 'rm', '/tmp/ok']);
    await waitFor(async () => (await health('checked'))?.Status === 'unhealthy', 'unhealthy', 30_000);
    const sick = (await health('checked'))!;
    expect(sick.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(sick.Log.at(-1)?.ExitCode).toBe(1);
    expect(await psStatus('checked')).toMatch(/\(unhealthy\)$/);

    await suite.must(['exec', 'checked', 'touch', '/tmp/ok']);
    await waitFor(async () => (await health('checked'))?.Status === 'healthy', 'healthy again', 30_000);
    const well = (await health('checked'))!;
    expect(well.FailingStreak).toBe(0);
    expect(well.Log.length).toBeLessThanOrEqual(5);
    // One event per change of status, as Docker's.
    const events = await eventsSince(suite, since, '{{.Action}}', ['container=checked']);
    expect(events.filter((a) => a.startsWith('health_status'))).toEqual([
      'health_status: healthy',
      'health_status: unhealthy',
      'health_status: healthy',
    ]);
    await suite.must(['rm', '-f', 'checked']);
  });

  it(
    'starts as starting, counts no failure in the start period, and times a slow check out',
    { timeout: 90_000 },
    async () => {
      await suite.must([
        'run',
        '-d',
        '--name',
        'slow',
        '--health-cmd',
        'sleep 5',
        '--health-interval',
        '300ms',
        '--health-timeout',
        '200ms',
        '--health-retries',
        '1',
        '--health-start-period',
        '1h',
        '--health-start-interval',
        '300ms',
        suite.image,
        'sleep',
        '1000',
      ]);
      expect(await psStatus('slow')).toMatch(/\(health: starting\)$/);
      await waitFor(async () => ((await health('slow'))?.Log.length ?? 0) >= 2, 'two checks', 30_000);
      const state = (await health('slow'))!;
      expect(state).toMatchObject({ Status: 'starting', FailingStreak: 0 });
      expect(state.Log[0]).toMatchObject({ ExitCode: -1 });
      expect(state.Log[0]?.Output).toContain('exceeded timeout');
      await suite.must(['rm', '-f', 'slow']);
    },
  );

  it(
    'a detached container with a log driver has both: its checks and its log, also after start',
    { timeout: 90_000 },
    async () => {
      const id = (
        await suite.must([
          'run',
          '-d',
          '--name',
          'logged-checked',
          '--log-driver',
          'local',
          '--log-opt',
          'max-size=1k',
          '--log-opt',
          'max-file=2',
          '--health-cmd',
          'true',
          '--health-interval',
          '300ms',
          suite.image,
          'sh',
          '-c',
          'echo up; exec sleep 1000',
        ])
      ).trim();
      // One monitor, both options: the log driver and the health checker beside the container.
      const argv = monitorArgv(id);
      expect(argv).toEqual(
        expect.arrayContaining(['--log-driver', 'local', '--log-max-size', '1000', '--log-max-file', '2']),
      );
      expect(argv.slice(argv.indexOf('--companion'))).toEqual(expect.arrayContaining(['healthcheck', id]));
      await waitFor(async () => (await health('logged-checked'))?.Status === 'healthy', 'healthy', 30_000);
      expect(await suite.must(['logs', 'logged-checked'])).toBe('up\n');
      expect(existsSync(join(suite.root, 'containers', id, 'container.log'))).toBe(true);

      // Started again: the same log driver (the log grows) and the check again.
      await suite.must(['stop', '-t', '1', 'logged-checked']);
      await suite.must(['start', 'logged-checked']);
      expect(monitorArgv(id)).toEqual(expect.arrayContaining(['--log-driver', 'local', '--companion']));
      await waitFor(
        async () => (await health('logged-checked'))?.Status === 'healthy',
        'healthy again',
        30_000,
      );
      await waitFor(
        async () => (await suite.must(['logs', 'logged-checked'])) === 'up\nup\n',
        'both runs logged',
      );
      await suite.must(['rm', '-f', 'logged-checked']);
    },
  );

  it('an attached run is checked too (its monitor runs the checker)', { timeout: 90_000 }, async () => {
    const run = suite.koker([
      'run',
      '--name',
      'attached-checked',
      '--health-cmd',
      'true',
      '--health-interval',
      '300ms',
      suite.image,
      'sh',
      '-c',
      'echo attached; sleep 4',
    ]);
    await waitFor(async () => {
      const doc = await suite.koker(['inspect', 'attached-checked']);
      return doc.code === 0 && (JSON.parse(doc.stdout) as Inspected[])[0]?.State.Health?.Status === 'healthy';
    }, 'healthy while attached');
    expect(await run).toMatchObject({ code: 0, stdout: 'attached\n' });
    await suite.must(['rm', 'attached-checked']);
  });

  it('--no-healthcheck conflicts with --health-* (125)', async () => {
    const result = await suite.koker([
      'run',
      '--rm',
      '--no-healthcheck',
      '--health-cmd',
      'true',
      suite.image,
      'true',
    ]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('--no-healthcheck');
  });
});
