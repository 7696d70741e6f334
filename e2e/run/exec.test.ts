import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { KOKER_BIN, koker, type KokerResult } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';
import { exeScanBase64, installExeScan } from './exe-scan.js';

// `koker exec` end to end: a detached container, then commands in its namespaces and cgroups.
let registry: FixtureRegistry;
let root: string;
let id: string;
beforeAll(async () => {
  registry = await fixtureRegistry();
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-exec-'));
  const started = await koker([
    '--root',
    root,
    'run',
    '-d',
    '--network',
    'none',
    '--name',
    'koker-exec-target',
    '--hostname',
    'exec-box',
    '-e',
    'FROM_RUN=yes',
    '-w',
    '/tmp',
    registry.images.busybox,
    'sh',
    '-c',
    'echo inside > /tmp/mark; exec sleep 31340',
  ]);
  expect(started.code).toBe(0);
  id = started.stdout.trim();
});
afterAll(async () => {
  await registry?.stop();
  if (root) await releaseKokerRoot(root);
});

const exec = (args: string[]) => koker(['--root', root, 'exec', ...args]);
const lines = (result: KokerResult) => result.stdout.trim().split('\n');

describe('koker exec', () => {
  it('runs in the container’s namespaces: its files, hostname, processes and network', async () => {
    const result = await exec([
      'koker-exec-target',
      'sh',
      '-c',
      'cat /tmp/mark; hostname; ps -o comm= | grep -c sleep; ip -o link | wc -l; echo $$',
    ]);
    expect(result.code).toBe(0);
    const [mark, host, sleeps, links, pid] = lines(result);
    expect([mark, host, sleeps, links]).toEqual(['inside', 'exec-box', '1', '1']);
    expect(Number(pid)).toBeGreaterThan(1);
  });

  it('joins the container’s cgroups and cgroup namespace', async () => {
    const result = await exec([
      id.slice(0, 12),
      'sh',
      '-c',
      'cat /proc/self/cgroup | grep -E ":(pids|memory):"',
    ]);
    expect(lines(result).sort()).toEqual([
      expect.stringMatching(/^\d+:memory:\/$/),
      expect.stringMatching(/^\d+:pids:\/$/),
    ]);
  });

  it('takes the container’s environment, working directory and user, with -e, -w and -u on top', async () => {
    expect(lines(await exec(['koker-exec-target', 'sh', '-c', 'echo $FROM_RUN; pwd; id -u']))).toEqual([
      'yes',
      '/tmp',
      '0',
    ]);
    const custom = await exec([
      '-e',
      'EXTRA=1',
      '-w',
      '/',
      '-u',
      'app',
      'koker-exec-target',
      'sh',
      '-c',
      'echo $EXTRA $FROM_RUN; pwd; id',
    ]);
    expect(lines(custom)).toEqual(['1 yes', '/', 'uid=1000(app) gid=1000(app) groups=1000(app)']);
  });

  it("has the container's capabilities and no koker file descriptor", async () => {
    expect(lines(await exec(['koker-exec-target', 'grep', 'CapEff', '/proc/self/status']))).toEqual([
      'CapEff:\t00000000a80425fb',
    ]);
    expect(lines(await exec(['koker-exec-target', 'sh', '-c', 'ls /proc/$$/fd; true']))).toEqual([
      '0',
      '1',
      '2',
    ]);
  });

  it("runs under the container's seccomp filter: no nested user namespace", async () => {
    expect(lines(await exec(['koker-exec-target', 'grep', 'Seccomp:', '/proc/self/status']))).toEqual([
      'Seccomp:\t2',
    ]);
    const unshare = await exec(['koker-exec-target', 'unshare', '-U', '-r', 'true']);
    expect(unshare.code).not.toBe(0);
    expect(unshare.stderr).toContain('Operation not permitted');
  });

  it('never lets the container reach the host’s koker-init through /proc, across 100 execs', async () => {
    const install = await koker(
      ['--root', root, 'exec', '-i', 'koker-exec-target', 'sh', '-c', installExeScan('/tmp/exe-scan')],
      {
        input: exeScanBase64(),
      },
    );
    expect(install.code).toBe(0);
    // The scanner runs in the container while the execs start: each exec's helper appears in the
    // container's PID namespace from its clone to the command's execve.
    const watcher = spawn(
      KOKER_BIN,
      [
        '--root',
        root,
        'exec',
        'koker-exec-target',
        '/tmp/exe-scan',
        'watch',
        '/tmp/exe-scan-ready',
        '/tmp/exe-scan-stop',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let report = '';
    let problems = '';
    watcher.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
    watcher.stderr.setEncoding('utf8').on('data', (d: string) => (problems += d));
    const watched = new Promise<number>((resolve) => watcher.on('close', (c) => resolve(c ?? -1)));
    const end = Date.now() + 20_000;
    while ((await exec(['koker-exec-target', 'ls', '/tmp/exe-scan-ready'])).code !== 0) {
      if (Date.now() > end) throw new Error(`the scanner did not start: ${report} ${problems}`);
    }
    for (let round = 0; round < 25; round++) {
      const results = await Promise.all([0, 1, 2, 3].map(() => exec(['koker-exec-target', 'true'])));
      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    }
    await exec(['koker-exec-target', 'touch', '/tmp/exe-scan-stop']);
    expect(await watched).toBe(0);
    const [counts, ...found] = report.trim().split('\n');
    // Each line found is a way in: an exe or maps naming the host's koker-init, not its sealed copy.
    expect(found, report).toEqual([]);
    const [, seen, denied] = /^seen (\d+) denied (\d+)$/.exec(counts ?? '') ?? [];
    expect(Number(seen)).toBeGreaterThan(0);
    expect(Number(denied)).toBeGreaterThan(0);
  });

  it("exits with the command's code, 126 and 127 like run", async () => {
    expect((await exec(['koker-exec-target', 'sh', '-c', 'exit 3'])).code).toBe(3);
    const missing = await exec(['koker-exec-target', 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('executable file not found in $PATH');
    expect((await exec(['koker-exec-target', '/etc'])).code).toBe(126);
  });

  it('gives a terminal with -it', async () => {
    const child = spawn(
      'script',
      ['-qec', `${KOKER_BIN} --root ${root} exec -it koker-exec-target sh -c 'tty; exit 4'`, '/dev/null'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(out.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(code).toBe(4);
  });

  it('with -d, starts the command in the background and returns', async () => {
    const started = await exec([
      '-d',
      'koker-exec-target',
      'sh',
      '-c',
      'sleep 0.3; echo later > /tmp/detached',
    ]);
    expect(started.code).toBe(0);
    expect(started.stdout).toBe('');
    const end = Date.now() + 10_000;
    let seen = '';
    while (Date.now() < end && !seen.includes('later')) {
      seen = (await exec(['koker-exec-target', 'sh', '-c', 'cat /tmp/detached 2>/dev/null; true'])).stdout;
    }
    expect(seen).toBe('later\n');
  });

  it('gives the command koker’s stdin with -i', async () => {
    const result = await koker(
      ['--root', root, 'exec', '-i', 'koker-exec-target', 'sh', '-c', 'read line; echo "got $line"'],
      {
        input: 'hello\n',
      },
    );
    expect(result.stdout).toBe('got hello\n');
  });

  it('keeps the name of a container: a second run with it is refused', async () => {
    const again = await koker([
      '--root',
      root,
      'run',
      '--rm',
      '--network',
      'none',
      '--name',
      'koker-exec-target',
      registry.images.busybox,
      'true',
    ]);
    expect(again.code).toBe(125);
    expect(again.stderr).toMatch(/koker-exec-target.*(in use|already)/);
  });

  it('refuses a container that does not run', async () => {
    const result = await exec(['no-such-container', 'true']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-container');
  });
});
