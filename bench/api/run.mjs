// bench/api: the Docker Engine API. Debian's docker CLI through `koker system service` beside the
// same CLI through `podman system service` (each over its own unix socket, private roots):
// `docker run --rm busybox true`, and `docker ps` with 100 containers running on each. Then one
// container run through koker's resident service (create, start, wait, delete: four HTTP requests,
// no Node start-up) beside `crun run` of a busybox bundle, or runc's when crun cannot run here.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, ensureApt, loadAverage, runCleanups, writeResults } from '../lib/harness.mjs';
import { busyboxArchive, setupKoker } from '../lib/koker-root.mjs';
import { setupPodman } from '../lib/podman.mjs';

const COUNT = 100;
ensureApt('docker.io', 'curl', 'busybox-static', 'runc', 'crun');
const dir = mkdtempSync(join(tmpdir(), 'koker-bench-api-'));
const cleanups = [() => rmSync(dir, { recursive: true, force: true })];

/** Waits (up to 30 s) until a service answers `_ping` on its socket. */
function waitForPing(socket, child, what) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ping = spawnSync('curl', ['-sf', '--unix-socket', socket, 'http://d/_ping'], { encoding: 'utf8' });
    if (ping.status === 0) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start`);
    spawnSync('sleep', ['0.2']);
  }
}

/** Starts a service in the background; cleanup stops it (SIGTERM, then SIGKILL) and waits for it. */
function startService(argv, socket, what) {
  const child = spawn('bash', ['-c', `exec ${argv}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  cleanups.push(async () => {
    if (child.exitCode !== null) return;
    const ended = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await ended;
    clearTimeout(timer);
  });
  waitForPing(socket, child, what);
}

/** A busybox bundle (`true`) for the OCI runtimes, in a cgroup named for the benchmark. */
function makeBundle(bundle) {
  mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(bundle, 'rootfs', 'bin', 'busybox'));
  for (const applet of ['sh', 'true']) symlinkSync('busybox', join(bundle, 'rootfs', 'bin', applet));
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = ['true'];
  config.ociVersion = '1.0.2'; // Debian's crun reads runtime-spec 1.0.x only
  config.linux.cgroupsPath = '/koker-bench-api/c1';
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
}

try {
  const archive = busyboxArchive(dir);
  const koker = setupKoker({ dir, archive });
  cleanups.push(() => koker.cleanup());
  const podman = setupPodman({ dir, archive });
  cleanups.push(() => podman.cleanup());

  const kokerSocket = join(dir, 'koker.sock');
  startService(
    koker.command(`-q system service -H unix://${kokerSocket}`),
    kokerSocket,
    'koker system service',
  );
  const podmanSocket = join(dir, 'podman.sock');
  const podmanTmp = join(dir, 'podman', 'tmp');
  mkdirSync(podmanTmp, { recursive: true });
  startService(
    podman.command(
      `--tmpdir ${podmanTmp} --cgroup-manager cgroupfs --events-backend file system service --time 0 unix://${podmanSocket}`,
    ),
    podmanSocket,
    'podman system service',
  );
  // podman's containers in the benchmark's cgroup parent (its default, /libpod_parent, is the host's).
  const podmanParent = /--cgroup-parent (\S+)/.exec(podman.command('run x'))[1];
  const docker = (socket, args) => `docker -H unix://${socket} ${args}`;
  const config = join(dir, 'docker-config');
  mkdirSync(config);
  // podman reads DOCKER_CONFIG too (its auth file): an empty config for both.
  writeFileSync(join(config, 'config.json'), '{}\n');
  process.env.DOCKER_CONFIG = config;

  const runRows = compare(
    [
      {
        name: 'docker run --rm busybox true (podman system service)',
        command: docker(podmanSocket, `run --rm --network none --cgroup-parent ${podmanParent} busybox true`),
      },
      {
        name: 'docker run --rm busybox true (koker system service)',
        command: docker(kokerSocket, 'run --rm --network none busybox true'),
      },
    ],
    { runs: 20, warmup: 3 },
  );

  for (let i = 0; i < COUNT; i++) {
    koker.run(`-q run -d --network none busybox sleep 100000`);
    podman.run(`run -d --network none busybox sleep 100000`);
  }
  const psRows = compare(
    [
      { name: `docker ps, ${COUNT} running (podman system service)`, command: docker(podmanSocket, 'ps') },
      { name: `docker ps, ${COUNT} running (koker system service)`, command: docker(kokerSocket, 'ps') },
    ],
    { runs: 20, warmup: 3 },
  );
  const listed = execFileSync('bash', ['-c', docker(kokerSocket, 'ps -q')], { encoding: 'utf8' });
  if (listed.trim().split('\n').length !== COUNT)
    throw new Error(`koker's service lists ${listed.trim().split('\n').length} containers`);
  spawnSync('bash', ['-c', koker.command('-q rm -f $(' + koker.command('-q ps -aq') + ')')], {
    stdio: 'ignore',
  });
  spawnSync('bash', ['-c', podman.command('rm -a -f -t 0')], { stdio: 'ignore' });

  // One run through the resident engine's API (curl: create, start, wait, delete) beside an OCI runtime.
  const bundle = join(dir, 'bundle');
  makeBundle(bundle);
  const notes = [];
  const runtimeState = join(dir, 'runtime-state');
  let runtime = 'crun';
  const trial = spawnSync('crun', ['--root', runtimeState, 'run', '--bundle', bundle, 'c1'], {
    encoding: 'utf8',
  });
  if (trial.status !== 0) {
    notes.push(
      `crun cannot run here (${(trial.stderr || trial.stdout).trim().split('\n')[0]}): runc is the reference instead`,
    );
    runtime = 'runc';
  }
  cleanups.push(() => {
    spawnSync(runtime, ['--root', runtimeState, 'delete', '--force', 'c1'], { stdio: 'ignore' });
    spawnSync(
      'bash',
      ['-c', 'find /sys/fs/cgroup -maxdepth 3 -depth -type d -name koker-bench-api -exec rmdir {} +'],
      {
        stdio: 'ignore',
      },
    );
  });
  const api = (method, path, body) =>
    `curl -sf --max-time 60 --unix-socket ${kokerSocket} -X ${method} -H 'Content-Type: application/json' ${body ? `-d '${body}' ` : ''}http://d/v1.45${path}`;
  const createBody = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  // As the docker CLI does: the wait asked before the start (not-running: it may come after), the container removed after.
  const apiRun = [
    `id=$(${api('POST', '/containers/create', createBody)} | sed 's/.*"Id":"\\([0-9a-f]*\\)".*/\\1/')`,
    `{ ${api('POST', '/containers/$id/wait')} >/dev/null & }`,
    api('POST', '/containers/$id/start'),
    'wait',
    api('DELETE', '/containers/$id'),
  ].join(' && ');
  const engineRows = compare(
    [
      {
        name: `${runtime} run (busybox bundle, true)`,
        command: `${runtime} --root ${runtimeState} run --bundle ${bundle} c1 >/dev/null`,
      },
      { name: 'koker service API: create + start + wait + delete (curl)', command: apiRun },
    ],
    { runs: 20, warmup: 3 },
  );

  const rows = [...runRows, ...psRows, ...engineRows];
  const runRatio = runRows[1].ratio;
  const psRatio = psRows[1].ratio;
  const engineRatio = engineRows[1].ratio;
  writeResults('api', {
    title: 'Engine API: the docker CLI through koker system service vs podman system service',
    rows,
    goals: [
      {
        text: `docker run --rm busybox true through koker <= 0.5 x through podman (${runRatio.toFixed(2)} x)`,
        ok: runRatio <= 0.5,
      },
      {
        text: `a run through the resident engine's API <= 3 x ${runtime} run (${engineRatio.toFixed(2)} x)`,
        ok: engineRatio <= 3,
      },
    ],
    notes: [
      `docker ps with ${COUNT} running containers: koker ${psRatio.toFixed(2)} x podman`,
      'ratios are to the first row of each pair (podman, then the OCI runtime); --network none everywhere',
      `podman ${execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim()}: private --root/--runroot/--tmpdir, --runtime runc, --cgroup-manager cgroupfs, --events-backend file, containers under a cgroup parent of the benchmark`,
      `docker CLI ${execFileSync('docker', ['--version'], { encoding: 'utf8' }).trim()}, on each service's unix socket`,
      'the API run: four HTTP requests with curl to the resident service; the runtime run: one process on a bundle already made (no image, no overlay, no network namespace setup)',
      ...notes,
      `load average at the end: ${loadAverage()}`,
    ],
  });
} finally {
  await runCleanups(cleanups);
}
