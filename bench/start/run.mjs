// bench/start: how long a container takes to start and end. `koker run --rm --network none
// busybox true` against podman (--runtime runc) running the same image, runc and crun running the
// same busybox rootfs (an OCI bundle with the same namespaces), and `node -e 0` (Node's own
// start-up, which koker cannot go below); then the same with bridge networking against podman
// on a bridge network of its own; then a run from a resident process (koker's code loaded once,
// resident.mjs) against crun. Every goal of docs/benchmarks.md about starting a container is
// reported here, beside its reference, in one run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, ensureApt, loadAverage, runCleanups, writeResults } from '../lib/harness.mjs';
import { busyboxArchive, freePrefix, setupKoker } from '../lib/koker-root.mjs';
import { setupPodman } from '../lib/podman.mjs';
import { measureBeforeAfter } from './before.mjs';
import { busyboxBundle } from './bundle.mjs';
import { measurePhases } from './phases.mjs';
import { measureSecurityCost } from './security.mjs';

ensureApt('runc', 'crun', 'busybox-static');
const dir = mkdtempSync(join(tmpdir(), 'koker-bench-start-'));
const cleanups = [];
try {
  // The same rootfs for everyone, and runc's default spec around it (bundle.mjs).
  const bundle = busyboxBundle(dir);
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');

  // koker and podman: each its own root with the same busybox image (the docker-save archive of
  // the same binary), and each a bridge of its own on a free /24 for the bridge runs.
  const archive = busyboxArchive(dir);
  const koker = setupKoker({ dir, archive, subnet: freePrefix() });
  cleanups.push(() => koker.cleanup());
  const podman = setupPodman({ dir, archive, subnet: freePrefix() });
  cleanups.push(() => podman.cleanup());
  const kokerNone = koker.command('run --rm --network none busybox true');
  const kokerBridge = koker.command('run --rm busybox true');
  for (const command of [
    kokerNone,
    kokerBridge,
    podman.command(`run --rm --network ${podman.network} busybox true`),
  ]) {
    const check = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`${command} failed (${check.status}): ${check.stderr}`);
  }

  // crun refuses a hybrid host unless cgroup2 shows no controllers: hide them in a private
  // mount namespace (the unshare costs about a millisecond; it is in crun's numbers).
  const controllers = '/sys/fs/cgroup/unified/cgroup.controllers';
  const hybrid = existsSync(controllers) && readFileSync(controllers, 'utf8').trim() !== '';
  const crun = `crun --root ${join(dir, 'crun-state')} run --bundle ${bundle} koker-bench-crun`;
  const crunCommand = hybrid
    ? `unshare -m sh -c 'mount --bind ${empty} /sys/fs/cgroup/unified/cgroup.controllers && exec ${crun}'`
    : crun;
  const runs = Number(process.env.KOKER_BENCH_RUNS ?? 30);
  const rows = compare(
    [
      { name: 'node -e 0', command: `${process.execPath} -e 0` },
      { name: 'koker --version (the CLI start-up alone)', command: koker.command('--version') },
      { name: 'koker run --rm --network none busybox true', command: kokerNone },
      {
        name: 'podman --runtime runc run --rm --network none busybox true',
        command: podman.command('run --rm --network none busybox true'),
      },
      {
        name: 'runc run (same rootfs)',
        command: `runc --root ${join(dir, 'runc-state')} run --bundle ${bundle} koker-bench-runc`,
      },
      { name: 'crun run (same rootfs)', command: crunCommand },
    ],
    { baseline: 'node -e 0', runs, warmup: 5 },
  );
  // Where koker's time goes, from each run's own trace (KOKER_TRACE).
  const phases = measurePhases(koker.command('run --rm --network none busybox true'));
  const find = (prefix) => rows.find((r) => r.name.startsWith(prefix));
  const kokerRun = find('koker run');
  const podmanRun = find('podman');
  const vsNode = kokerRun.ratio;
  const vsPodman = kokerRun.median / podmanRun.median;
  writeResults('start', {
    title: 'Container start (--network none): koker run vs podman, runc, crun and node -e 0',
    rows,
    goals: [
      {
        text: `koker run --rm --network none busybox true <= 1.6x node -e 0 (is ${vsNode.toFixed(2)}x)`,
        ok: vsNode <= 1.6,
      },
      {
        text: `koker run <= 0.6x podman run --rm --network none (is ${vsPodman.toFixed(2)}x)`,
        ok: vsPodman <= 0.6,
      },
    ],
    notes: [
      'runc and crun run the same busybox-static rootfs as an OCI bundle with the same namespaces (mount, UTS, IPC, PID, network); koker and podman also create and remove the container record, an overlayfs rootfs and cgroups.',
      "podman: Debian's podman with --runtime runc, its own temporary --root/--runroot, the same busybox image loaded from the docker-save archive.",
      hybrid
        ? 'crun runs in a private mount namespace where /sys/fs/cgroup/unified/cgroup.controllers is empty: it refuses hybrid hosts otherwise.'
        : 'crun runs as is.',
      `koker run's phases (medians of each run's trace; bench/start/phases.mjs): ${phases.phases.map((p) => `${p.name} ${p.ms} ms`).join('; ')}; in all ${phases.total} ms`,
      `load average at the end: ${loadAverage()}`,
    ],
  });

  const bridgeRows = compare(
    [
      { name: 'node -e 0', command: `${process.execPath} -e 0` },
      { name: 'koker run --rm busybox true (bridge)', command: kokerBridge },
      {
        name: 'podman --runtime runc run --rm busybox true (bridge)',
        command: podman.command(`run --rm --network ${podman.network} busybox true`),
      },
    ],
    { baseline: 'node -e 0', runs: Math.ceil(runs / 1.5), warmup: 3 },
  );
  const kokerBridgeRow = bridgeRows.find((r) => r.name.startsWith('koker'));
  const podmanBridgeRow = bridgeRows.find((r) => r.name.startsWith('podman'));
  const bridgeRatio = kokerBridgeRow.median / podmanBridgeRow.median;
  writeResults('start-bridge', {
    title: 'Container start with bridge networking: koker run vs podman run (its bridge network)',
    rows: bridgeRows,
    goals: [
      {
        text: `koker run --rm busybox true <= 0.4x podman run --rm with its default network (is ${bridgeRatio.toFixed(2)}x)`,
        ok: bridgeRatio <= 0.4,
      },
    ],
    notes: [
      "Each engine has a bridge of its own (koker-b<hex>, koker-p<hex>) on a free /24, created before timing starts and kept between runs, as a host's default bridge is: koker's bridge driver (veth, IPAM lease, NAT rules), podman's netavark with DNS off, as on podman's default network.",
      `load average at the end: ${loadAverage()}`,
    ],
  });

  // A resident process: koker's code loaded once, runs one after another (resident.mjs), against
  // crun on the same rootfs (the row above's command, timed again now).
  const residentRuns = Number(process.env.KOKER_BENCH_RUNS ?? 30);
  const times = JSON.parse(
    execFileSync(
      process.execPath,
      [join(import.meta.dirname, 'resident.mjs'), koker.configPath, koker.root, String(residentRuns)],
      { encoding: 'utf8' },
    ),
  ).map((ms) => ms / 1000);
  const crunRows = compare([{ name: 'crun run (same rootfs)', command: crunCommand }], {
    runs: residentRuns,
    warmup: 3,
  });
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const residentRow = {
    name: 'koker run --rm --network none busybox true, from a resident process (main() in-process)',
    median: sorted[Math.floor(sorted.length / 2)],
    mean,
    stddev: Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / times.length),
    min: sorted[0],
    max: sorted.at(-1),
    runs: times.length,
  };
  const crunRow = crunRows[0];
  residentRow.ratio = residentRow.median / crunRow.median;
  crunRow.ratio = 1;
  writeResults('start-resident', {
    title: 'A run from a resident process (no Node start, code loaded) vs crun on the same rootfs',
    rows: [crunRow, residentRow],
    goals: [
      {
        text: `a run from a resident process <= 3x crun run of the same rootfs (is ${residentRow.ratio.toFixed(2)}x)`,
        ok: residentRow.ratio <= 3,
      },
      {
        text: 'through the API service: the docker CLI against koker system service <= 0.5x against podman system service: measured by bench/api, not here',
        ok: undefined,
      },
    ],
    notes: [
      "resident.mjs imports the CLI's main() once and calls it for each run in the same process: the engine's whole path (record, rootfs, cgroups, network, koker-monitor and koker-init, attach, teardown) without Node's start or loading koker's code; two warm-up runs untimed",
      'crun: the same command as in the start table, timed by hyperfine right after',
      `load average at the end: ${loadAverage()}`,
    ],
  });

  // KOKER_BENCH_BEFORE=/other/checkout/packages/cli/bin/koker: that build and this one in paired
  // rounds on the same root, for a change's before and after within one run.
  const before = process.env.KOKER_BENCH_BEFORE;
  if (before)
    writeResults('start-before', {
      title: 'This build against KOKER_BENCH_BEFORE, in paired rounds',
      ...measureBeforeAfter({ koker, before, rounds: runs }),
    });

  const security = await measureSecurityCost({ dir, koker });
  writeResults('start-security', {
    title:
      'What the default isolation adds to a run: koker defaults vs seccomp=unconfined vs --privileged, runc without and with a filter',
    ...security,
  });
} finally {
  await runCleanups(cleanups);
  spawnSync('sh', [
    '-c',
    'rmdir /sys/fs/cgroup/*/koker-bench-start /sys/fs/cgroup/*/*/koker-bench-start 2>/dev/null',
  ]);
  rmSync(dir, { recursive: true, force: true });
}
