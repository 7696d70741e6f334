// bench/runtime: koker-runtime beside runc and crun on the same busybox bundle: `run` (create,
// start, wait, delete in one command) and the create + start + delete sequence an engine makes.
import { execFileSync, spawnSync } from 'node:child_process';
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
import { REPO, compare, ensureApt, writeResults } from '../lib/harness.mjs';

ensureApt('busybox-static', 'runc', 'crun');
const KOKER_RUNTIME = join(REPO, 'packages', 'cli', 'bin', 'koker-runtime');
const dir = mkdtempSync(join(tmpdir(), 'koker-bench-runtime-'));
const bundle = join(dir, 'bundle');
const candidates = [
  { name: 'runc', bin: 'runc' },
  { name: 'crun', bin: 'crun' },
  { name: 'koker-runtime', bin: KOKER_RUNTIME },
];
const runtimes = [];
const notes = [];
const command = (r, args) => `${r.bin} --root ${join(dir, `${r.name}-state`)} ${args}`;

try {
  mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(bundle, 'rootfs', 'bin', 'busybox'));
  for (const applet of ['sh', 'true']) symlinkSync('busybox', join(bundle, 'rootfs', 'bin', applet));
  execFileSync(KOKER_RUNTIME, ['spec', '--bundle', bundle]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = ['true'];
  // Debian's crun reads runtime-spec 1.0.x only.
  config.ociVersion = '1.0.2';
  // The runtimes' own default cgroup paths differ; one path for all keeps the comparison fair.
  config.linux.cgroupsPath = '/koker-bench-runtime/c1';
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  // A runtime this host cannot run (crun refuses hybrid cgroup layouts) is left out, and said so.
  for (const r of candidates) {
    const trial = spawnSync(
      r.bin,
      ['--root', join(dir, `${r.name}-state`), 'run', '--bundle', bundle, 'c1'],
      {
        encoding: 'utf8',
      },
    );
    if (trial.status === 0) runtimes.push(r);
    else
      notes.push(
        `${r.name} left out: it cannot run the bundle here (${(trial.stderr || trial.stdout).trim()})`,
      );
  }
  const rows = compare(
    [
      ...runtimes.map((r) => ({ name: `${r.name} run`, command: command(r, `run --bundle ${bundle} c1`) })),
      ...runtimes.map((r) => ({
        name: `${r.name} create + start + delete`,
        command: `${command(r, `create --bundle ${bundle} c1`)} && ${command(r, 'start c1')} && ${command(r, 'delete --force c1')}`,
      })),
    ],
    { baseline: 'runc run', runs: 20, warmup: 3 },
  );
  writeResults('runtime', {
    title: 'OCI runtimes on one busybox bundle (`true`): run, and create + start + delete',
    rows,
    notes: [
      ...notes,
      'koker-runtime starts Node for each command (create, start, delete: three Node start-ups); runc and crun are native',
      'the same bundle and cgroupsPath for all three; stdout and stderr to /dev/null',
    ],
  });
} finally {
  for (const r of runtimes)
    spawnSync(r.bin, ['--root', join(dir, `${r.name}-state`), 'delete', '--force', 'c1']);
  rmSync(dir, { recursive: true, force: true });
}
