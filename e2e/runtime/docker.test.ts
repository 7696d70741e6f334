import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArchives } from '../fixtures/fixture-registry.js';
import { RUNTIME_BIN } from './runtime-bin.js';

// Debian's dockerd (with the containerd it starts itself), on a private data root, exec root
// and socket, no bridge and no iptables rules, with `--add-runtime koker=koker-runtime`; the
// docker CLI runs containers with `--runtime koker`.
const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-docker-'));
const socket = `unix://${join(dir, 'docker.sock')}`;
let daemon: ChildProcess;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function docker(args: readonly string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile('docker', ['-H', socket, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const run = ['run', '--runtime', 'koker', '--network', 'none'];

beforeAll(async () => {
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const log = openSync(join(dir, 'dockerd.log'), 'w');
  daemon = spawn(
    'dockerd',
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      socket,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--storage-driver',
      'vfs',
      '--add-runtime',
      `koker=${RUNTIME_BIN}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  for (let i = 0; i < 400 && (await docker(['version'], 5_000)).code !== 0; i++) await sleep(50);
  const { busyboxDocker } = await fixtureArchives();
  const loaded = await docker(['load', '-i', busyboxDocker]);
  expect(loaded.code, loaded.stderr).toBe(0);
});

afterAll(async () => {
  await docker(['rm', '--force', 'koker-docker']);
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('dockerd --add-runtime koker', () => {
  it('runs a command with docker run --runtime koker: its output and its exit code', async () => {
    const result = await docker([
      ...run,
      '--rm',
      'busybox',
      'sh',
      '-c',
      'echo hello; hostname -s >/dev/null; exit 9',
    ]);
    expect(result).toMatchObject({ code: 9, stdout: 'hello\n' });
  });

  it('runs -d, exec, pause, unpause, stop and rm', async () => {
    const started = await docker([...run, '-d', '--name', 'koker-docker', 'busybox', 'sleep', '31381']);
    expect(started.code, started.stderr).toBe(0);
    const inspect = async () =>
      (await docker(['inspect', '--format', '{{.State.Status}} {{.HostConfig.Runtime}}', 'koker-docker']))
        .stdout;
    expect(await inspect()).toBe('running koker\n');
    const exec = await docker(['exec', 'koker-docker', 'sh', '-c', 'echo in-exec; exit 4']);
    expect(exec).toMatchObject({ code: 4, stdout: 'in-exec\n' });
    expect((await docker(['pause', 'koker-docker'])).code).toBe(0);
    expect(await inspect()).toBe('paused koker\n');
    expect((await docker(['unpause', 'koker-docker'])).code).toBe(0);
    expect(await inspect()).toBe('running koker\n');
    expect((await docker(['stop', '--time', '1', 'koker-docker'])).code).toBe(0);
    const exited = await docker([
      'inspect',
      '--format',
      '{{.State.Status}} {{.State.ExitCode}}',
      'koker-docker',
    ]);
    expect(exited.stdout).toBe('exited 137\n');
    expect((await docker(['rm', 'koker-docker'])).code).toBe(0);
    expect((await docker(['ps', '-aq'])).stdout).toBe('');
    // koker-runtime's state of the container (under the root dockerd gives it) is gone too.
    expect(existsSync(join(dir, 'exec', 'runtime-runc', 'moby', started.stdout.trim()))).toBe(false);
  });
});
