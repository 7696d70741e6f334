import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureArchives } from '../fixtures/fixture-registry.js';
import { RUNTIME_BIN } from './runtime-bin.js';

// Debian's containerd, started here with a private root, state and socket, and `ctr run
// --runc-binary koker-runtime`: its runc shim (containerd-shim-runc-v2) calls koker-runtime as
// it calls runc.
const dir = mkdtempSync(join(tmpdir(), 'koker-e2e-containerd-'));
const socket = join(dir, 'containerd.sock');
let daemon: ChildProcess;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function ctr(args: readonly string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile('ctr', ['--address', socket, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const runtimeFlags = [
  '--snapshotter',
  'native',
  '--runc-binary',
  RUNTIME_BIN,
  '--runc-root',
  join(dir, 'runc'),
];
const image = 'docker.io/library/busybox:latest';

beforeAll(async () => {
  writeFileSync(
    join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      // No CRI (it would set up CNI), no snapshotters that need their own filesystems.
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      `  address = "${dir}/debug.sock"`,
      '[metrics]',
      '  address = ""',
      '',
    ].join('\n'),
  );
  const log = openSync(join(dir, 'containerd.log'), 'w');
  daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', log, log] });
  for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(50);
  const { busyboxDocker } = await fixtureArchives();
  const imported = await ctr(['images', 'import', '--snapshotter', 'native', busyboxDocker]);
  expect(imported.code, imported.stderr).toBe(0);
});

afterAll(async () => {
  for (const id of ['koker-ctr-run', 'koker-ctr-detached']) {
    await ctr(['task', 'kill', '-s', 'KILL', id]);
    await ctr(['task', 'rm', '-f', id]);
    await ctr(['containers', 'rm', id]);
  }
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('containerd with ctr run --runc-binary koker-runtime', () => {
  it('runs a command: its output and its exit code', async () => {
    const result = await ctr([
      'run',
      ...runtimeFlags,
      '--rm',
      image,
      'koker-ctr-run',
      'sh',
      '-c',
      'echo hello; exit 5',
    ]);
    expect(result).toMatchObject({ code: 5, stdout: 'hello\n' });
  });

  it('runs a detached task: exec, pause, resume, ps, kill, rm', async () => {
    const id = 'koker-ctr-detached';
    const started = await ctr(['run', '-d', ...runtimeFlags, image, id, 'sleep', '31371']);
    expect(started.code, started.stderr).toBe(0);
    const status = async () =>
      (await ctr(['task', 'ls'])).stdout.split('\n').find((l) => l.startsWith(id)) ?? '';
    expect(await status()).toMatch(/RUNNING$/);
    const exec = await ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo in-exec; exit 6']);
    expect(exec).toMatchObject({ code: 6, stdout: 'in-exec\n' });
    expect((await ctr(['task', 'pause', id])).code).toBe(0);
    expect(await status()).toMatch(/PAUSED$/);
    expect((await ctr(['task', 'resume', id])).code).toBe(0);
    expect(await status()).toMatch(/RUNNING$/);
    const ps = await ctr(['task', 'ps', id]);
    expect(ps.stdout.trim().split('\n')).toHaveLength(2);
    expect((await ctr(['task', 'kill', '-s', 'KILL', id])).code).toBe(0);
    for (let i = 0; i < 100 && !/STOPPED$/.test(await status()); i++) await sleep(50);
    expect(await status()).toMatch(/STOPPED$/);
    expect((await ctr(['task', 'rm', id])).code).toBe(0);
    expect((await ctr(['containers', 'rm', id])).code).toBe(0);
    expect(existsSync(join(dir, 'runc', 'default', id))).toBe(false);
  });
});
