// bench/start/phases.mjs: where `koker run --rm --network none busybox true` spends its time,
// from koker's own debug log (JSON, millisecond timestamps) and the wall clock around it; medians
// over KOKER_BENCH_RUNS runs (default 15). Run by bench/start/run.mjs into its notes, or alone:
//   sudo node bench/start/phases.mjs   (builds its own temporary root)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { busyboxArchive, setupKoker } from '../lib/koker-root.mjs';

const PHASES = [
  [
    "up to the first driver chosen (Node, the bundle and run's modules, config, logger, image lookup, probes)",
    null,
    'Select driver',
  ],
  ['the drivers built, record, rootfs dirs, cgroups, files', 'Select driver', 'Start native helper'],
  ['koker-init up to the exec of the command', 'Start native helper', 'Container process started'],
  ['the container runs and ends, koker sees it', 'Container process started', 'Container exited'],
  ['teardown (cgroups, directories, record)', 'Container exited', null],
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Median milliseconds of each phase over `runs` runs of `command` (a shell string taking extra args). */
export function measurePhases(command, runs = Number(process.env.KOKER_BENCH_RUNS ?? 15)) {
  const samples = PHASES.map(() => []);
  const totals = [];
  for (let i = 0; i < runs; i++) {
    const start = Date.now();
    const out = spawnSync('bash', ['-c', `${command} 2>&1 >/dev/null`], { encoding: 'utf8' });
    const end = Date.now();
    if (out.status !== 0) throw new Error(`${command} failed (${out.status}): ${out.stdout.slice(-500)}`);
    const lines = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const at = (msg) => (msg === null ? null : lines.find((l) => l.msg === msg)?.time);
    PHASES.forEach(([, from, to], index) => {
      const a = from === null ? start : at(from);
      const b = to === null ? end : at(to);
      if (a !== undefined && b !== undefined) samples[index].push(b - a);
    });
    totals.push(end - start);
  }
  return {
    phases: PHASES.map(([name], index) => ({ name, ms: median(samples[index]) })),
    total: median(totals),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = mkdtempSync(join(tmpdir(), 'koker-bench-phases-'));
  const koker = setupKoker({ dir, archive: busyboxArchive(dir) });
  try {
    const { phases, total } = measurePhases(
      koker.command('-D --log-format json run --rm --network none busybox true'),
    );
    for (const phase of phases) console.log(`${String(phase.ms).padStart(5)} ms  ${phase.name}`);
    console.log(`${String(total).padStart(5)} ms  in all (wall, median)`);
  } finally {
    await koker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
