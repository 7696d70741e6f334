// bench/start: how long a container takes to start and end. `koker run --rm --network none
// busybox true` against runc and crun running the same busybox rootfs (an OCI bundle with the
// same namespaces), and against `node -e 0` (Node's own start-up, which koker cannot go below).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KOKER, REPO, compare, ensureApt, writeResults } from '../lib/harness.mjs';

ensureApt('runc', 'crun', 'busybox-static', 'skopeo');
const dir = mkdtempSync(join(tmpdir(), 'koker-bench-start-'));
try {
  // The same rootfs for everyone: Debian's static busybox and its applets.
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev'])
    mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean))
    if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');

  // An OCI bundle: runc's default spec (mount, UTS, IPC, PID and network namespaces, Docker's
  // capabilities, masked paths), running `true`, in a cgroup named for koker.
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.args = ['true'];
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: false };
  spec.linux.cgroupsPath = '/koker-bench-start';
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');

  // koker's own root with the busybox image in its store (a docker-save archive of the same
  // binary, loaded once).
  const root = join(dir, 'koker-root');
  const archive = join(dir, 'busybox.tar');
  execFileSync('bash', [join(REPO, 'scripts', 'build-busybox-image.sh'), archive], { stdio: 'inherit' });
  execFileSync(process.execPath, [KOKER, '--root', root, '-q', 'load', '-i', archive], { stdio: 'inherit' });
  const koker = `${process.execPath} ${KOKER} --root ${root} run --rm --network none busybox true`;
  const check = spawnSync('sh', ['-c', koker], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`koker run failed (${check.status}): ${check.stderr}`);

  // crun refuses a hybrid host unless cgroup2 shows no controllers: hide them in a private
  // mount namespace (the unshare costs about a millisecond; it is in crun's numbers).
  const controllers = '/sys/fs/cgroup/unified/cgroup.controllers';
  const hybrid = existsSync(controllers) && readFileSync(controllers, 'utf8').trim() !== '';
  const crun = `crun --root ${join(dir, 'crun-state')} run --bundle ${bundle} koker-bench-crun`;
  const rows = compare(
    [
      { name: 'node -e 0', command: `${process.execPath} -e 0` },
      { name: 'koker --version (the CLI start-up alone)', command: `${process.execPath} ${KOKER} --version` },
      { name: 'koker run --rm --network none busybox true', command: koker },
      {
        name: 'runc run (same rootfs)',
        command: `runc --root ${join(dir, 'runc-state')} run --bundle ${bundle} koker-bench-runc`,
      },
      {
        name: 'crun run (same rootfs)',
        command: hybrid
          ? `unshare -m sh -c 'mount --bind ${empty} /sys/fs/cgroup/unified/cgroup.controllers && exec ${crun}'`
          : crun,
      },
    ],
    { baseline: 'node -e 0', runs: 30, warmup: 5 },
  );
  const ratio = rows.find((r) => r.name.startsWith('koker run'))?.ratio ?? Infinity;
  writeResults('start', {
    title: 'Container start: koker run vs runc, crun and node -e 0',
    rows,
    goals: [
      {
        text: `koker run --rm --network none busybox true <= 1.3x node -e 0 (is ${ratio.toFixed(2)}x)`,
        ok: ratio <= 1.3,
      },
    ],
    notes: [
      'Same busybox-static rootfs and namespaces (mount, UTS, IPC, PID, network) for all three runtimes; koker also creates and removes its container record, an overlayfs rootfs and cgroups.',
      hybrid
        ? 'crun runs in a private mount namespace where /sys/fs/cgroup/unified/cgroup.controllers is empty: it refuses hybrid hosts otherwise.'
        : 'crun runs as is.',
    ],
  });
} finally {
  spawnSync('sh', [
    '-c',
    'rmdir /sys/fs/cgroup/*/koker-bench-start /sys/fs/cgroup/*/*/koker-bench-start 2>/dev/null',
  ]);
  rmSync(dir, { recursive: true, force: true });
}
