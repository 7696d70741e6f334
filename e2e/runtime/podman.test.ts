import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArchives } from '../fixtures/fixture-registry.js';
import { removeCgroupTree } from '../helpers/cgroup-tree.js';
import { LOW_ULIMITS, RUNTIME_BIN } from './runtime-bin.js';

// Debian's podman (and its conmon) with koker-runtime as the OCI runtime: podman writes the
// bundle, conmon calls create/start/state/kill/delete/exec/pause/resume as it calls runc.
const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-podman-'));
const podmanFlags = [
  '--root',
  join(dir, 'root'),
  '--runroot',
  join(dir, 'runroot'),
  '--tmpdir',
  join(dir, 'tmp'),
  '--cgroup-manager',
  'cgroupfs',
  '--events-backend',
  'file',
  '--storage-driver',
  'vfs',
  '--runtime',
  RUNTIME_BIN,
];

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function podman(args: readonly string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile('podman', [...podmanFlags, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// podman's cgroups (conmon's, the containers' parent) under a parent of this test's, removed after.
const cgroupParent = `koker-e2e-podman-${process.pid}`;
const run = ['run', ...LOW_ULIMITS, '--network', 'none', '--cgroup-parent', `/${cgroupParent}`];
const image = 'docker.io/library/busybox:latest';

beforeAll(async () => {
  const { busyboxDocker } = await fixtureArchives();
  const loaded = await podman(['load', '-i', busyboxDocker]);
  expect(loaded.code, loaded.stderr).toBe(0);
});

afterAll(async () => {
  await podman(['rm', '--all', '--force', '--time', '0']);
  await podman(['rmi', '--all', '--force']);
  rmSync(dir, { recursive: true, force: true });
  removeCgroupTree(cgroupParent);
});

describe('podman --runtime koker-runtime', () => {
  it('runs a command: its output and its exit code', async () => {
    const result = await podman([...run, '--rm', image, 'sh', '-c', 'echo hello; id -u; exit 7']);
    expect(result).toMatchObject({ code: 7, stdout: 'hello\n0\n' });
  });

  it('gives -t a terminal through the console socket', async () => {
    const result = await podman([...run, '--rm', '-t', image, 'sh', '-c', 'tty; echo ok']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('/dev/pts/0\r\nok\r\n');
  });

  it('exits 127 for a command that is not found', async () => {
    const result = await podman([...run, '--rm', image, 'no-such-command']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('no-such-command');
  });

  it('runs -d, exec (also -t), pause, unpause, stop and rm', async () => {
    const started = await podman([...run, '-d', '--name', 'koker-podman', image, 'sleep', '31361']);
    expect(started.code, started.stderr).toBe(0);
    const exec = await podman(['exec', 'koker-podman', 'sh', '-c', 'echo in-exec $(hostname); exit 4']);
    expect(exec.code).toBe(4);
    expect(exec.stdout).toMatch(/^in-exec \S+\n$/);
    // exec -t: the terminal's master reaches conmon's console socket, outside the container.
    const tty = await podman(['exec', '-t', 'koker-podman', 'sh', '-c', 'tty']);
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
    expect((await podman(['pause', 'koker-podman'])).code).toBe(0);
    const paused = await podman(['inspect', '--format', '{{.State.Status}}', 'koker-podman']);
    expect(paused.stdout).toBe('paused\n');
    expect((await podman(['unpause', 'koker-podman'])).code).toBe(0);
    const running = await podman(['inspect', '--format', '{{.State.Status}}', 'koker-podman']);
    expect(running.stdout).toBe('running\n');
    const stopped = await podman(['stop', '--time', '1', 'koker-podman']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const exited = await podman([
      'inspect',
      '--format',
      '{{.State.Status}} {{.State.ExitCode}}',
      'koker-podman',
    ]);
    expect(exited.stdout).toBe('exited 137\n');
    expect((await podman(['rm', 'koker-podman'])).code).toBe(0);
    expect((await podman(['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('runs --uidmap in a user namespace: root inside is the host user mapped to it', async () => {
    const result = await podman([
      ...run,
      '--rm',
      '--uidmap',
      '0:100000:65536',
      '--gidmap',
      '0:100000:65536',
      image,
      'sh',
      '-c',
      'id -u; cat /proc/self/uid_map',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [uid, map] = result.stdout.split('\n');
    expect(uid).toBe('0');
    expect(map?.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
  });
});
