// bench/start/before.mjs: a change's before and after in one run. The build at
// KOKER_BENCH_BEFORE (another checkout's packages/cli/bin/koker) and this one, on the same root,
// in paired rounds (bench/lib/paired.mjs: each round runs both back to back, in rotating order,
// so the load's drift hits them alike): `run --rm --network none`, `run --rm` on the bridge, and
// `run -d --network none ... sleep 600` (its containers removed before each run, untimed).
// Run by bench/start/run.mjs into `start-before` when KOKER_BENCH_BEFORE is set, or alone:
//   sudo KOKER_BENCH_BEFORE=/other/checkout/packages/cli/bin/koker node bench/start/before.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KOKER, ensureApt, loadAverage, runCleanups, writeResults } from '../lib/harness.mjs';
import { busyboxArchive, freePrefix, setupKoker } from '../lib/koker-root.mjs';
import { paired } from '../lib/paired.mjs';

/** The rows and notes of `start-before`: each command by this build and by `before`, paired. */
export function measureBeforeAfter({ koker, before, rounds = Number(process.env.KOKER_BENCH_RUNS ?? 20) }) {
  const removeAll = `${koker.command('-q ps -aq --no-trunc')} | xargs -r ${koker.command('-q rm -f')} > /dev/null`;
  const cases = [
    { name: 'run --rm --network none busybox true', args: 'run --rm --network none busybox true' },
    { name: 'run --rm busybox true (bridge)', args: 'run --rm busybox true' },
    {
      name: 'run -d --network none busybox sleep 600',
      args: '-q run -d --network none busybox sleep 600 > /dev/null',
      prepare: removeAll,
    },
  ];
  const rows = [];
  const notes = [];
  for (const c of cases) {
    const now = koker.command(c.args);
    const pair = [
      { name: `${c.name} (before)`, command: now.replace(KOKER, before), prepare: c.prepare },
      { name: c.name, command: now, prepare: c.prepare },
    ];
    for (const { command } of pair) {
      const check = spawnSync('bash', ['-c', `${c.prepare ?? 'true'}; ${command}`], { encoding: 'utf8' });
      if (check.status !== 0) throw new Error(`${command} failed (${check.status}): ${check.stderr}`);
    }
    const [then, after] = paired(pair, { rounds, baseline: pair[0].name });
    rows.push(then, after);
    notes.push(
      `${c.name}: this build / before = ${after.ratio.toFixed(3)}x wall, ${after.cpuRatio.toFixed(3)}x CPU (medians of ${rounds} per-round ratios); medians ${(after.median * 1000).toFixed(0)} vs ${(then.median * 1000).toFixed(0)} ms`,
    );
  }
  spawnSync('bash', ['-c', removeAll]);
  notes.push(`before: ${before}`, `load average at the end: ${loadAverage()}`);
  return { rows, notes };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const before = process.env.KOKER_BENCH_BEFORE;
  if (!before) throw new Error('set KOKER_BENCH_BEFORE to the other build (its packages/cli/bin/koker)');
  ensureApt('busybox-static');
  const dir = mkdtempSync(join(tmpdir(), 'koker-bench-before-'));
  const cleanups = [];
  try {
    const koker = setupKoker({ dir, archive: busyboxArchive(dir), subnet: freePrefix() });
    cleanups.push(() => koker.cleanup());
    writeResults('start-before', {
      title: 'This build against KOKER_BENCH_BEFORE, in paired rounds',
      ...measureBeforeAfter({ koker, before }),
    });
  } finally {
    await runCleanups(cleanups);
    rmSync(dir, { recursive: true, force: true });
  }
}
