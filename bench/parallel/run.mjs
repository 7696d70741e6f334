// bench/parallel: 50 detached containers started at once. `koker run -d` x 50 in parallel against
// `podman run -d` x 50 in parallel, same busybox image, --network none, each container sleeping
// (the timed part ends when all 50 commands have returned, i.e. every container runs); the
// containers are removed between runs, untimed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, ensureApt, loadAverage, runCleanups, writeResults } from '../lib/harness.mjs';
import { busyboxArchive, setupKoker } from '../lib/koker-root.mjs';
import { setupPodman } from '../lib/podman.mjs';

const COUNT = Number(process.env.KOKER_BENCH_PARALLEL ?? 50);
ensureApt('busybox-static', 'findutils');
const dir = mkdtempSync(join(tmpdir(), 'koker-bench-parallel-'));
const cleanups = [];
try {
  const archive = busyboxArchive(dir);
  const koker = setupKoker({ dir, archive });
  cleanups.push(() => koker.cleanup());
  const podman = setupPodman({ dir, archive });
  cleanups.push(() => podman.cleanup());

  // N commands at once; the exit status is the worst of them (xargs exits 123 if one failed).
  const parallel = (command) => `seq ${COUNT} | xargs -P ${COUNT} -I{} ${command} > /dev/null`;
  const kokerRemove = `${koker.command('-q ps -aq --no-trunc')} | xargs -r ${koker.command('-q rm -f')} > /dev/null`;
  const rows = compare(
    [
      {
        name: `koker run -d --network none busybox sleep 600, ${COUNT} at once`,
        command: parallel(koker.command('-q run -d --network none busybox sleep 600')),
        prepare: kokerRemove,
      },
      {
        name: `podman --runtime runc run -d --network none busybox sleep 600, ${COUNT} at once`,
        command: parallel(podman.command('run -d --network none busybox sleep 600')),
        prepare: `${podman.command('rm -a -f -t 0')} > /dev/null`,
      },
    ],
    { runs: Number(process.env.KOKER_BENCH_RUNS ?? 5), warmup: 1 },
  );
  const [kokerRow, podmanRow] = rows;
  const ratio = kokerRow.median / podmanRow.median;
  writeResults('parallel', {
    title: `${COUNT} detached containers started at once: koker run -d vs podman run -d`,
    rows,
    goals: [
      {
        text: `${COUNT} parallel run -d <= 0.7x podman (koker/podman = ${ratio.toFixed(2)}x; ${((kokerRow.median / COUNT) * 1000).toFixed(0)} ms per container vs ${((podmanRow.median / COUNT) * 1000).toFixed(0)} ms)`,
        ok: ratio <= 0.7,
      },
    ],
    notes: [
      'timed: from the first command to the last one returning (each returns once its container runs under its monitor: koker-monitor, conmon); removal between runs is not timed',
      'it also shows how the start path holds up under contention (locks, cgroup parents, the store), on a 2-CPU machine',
      `load average at the end: ${loadAverage()}`,
    ],
  });
} finally {
  await runCleanups(cleanups);
  rmSync(dir, { recursive: true, force: true });
}
