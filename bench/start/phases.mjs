// bench/start/phases.mjs: where `koker run --rm --network none busybox true` spends its time,
// from the run's own trace (`--trace FILE`: Chrome trace-event JSON, one span per step, see
// docs/how-a-container-starts.md) and the wall clock around it; medians over KOKER_BENCH_RUNS
// runs (default 15). Run by bench/start/run.mjs into its notes, or alone:
//   sudo node bench/start/phases.mjs   (builds its own temporary root)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { busyboxArchive, setupKoker } from '../lib/koker-root.mjs';

// Each phase is the sum of the trace's spans of these names (koker's own spans, in the process
// that runs the command; the native helper's steps are inside `launch`).
const PHASES = [
  ["Node's start from the start-up snapshot", ['node start']],
  ["the command line built (run's code)", ['load command']],
  [
    'flags, image lookup, drivers, stale containers settled',
    ['read the flags', 'image lookup', 'drivers', 'settle stale containers'],
  ],
  ['record, rootfs directories, cgroups, network', ['record', 'prepare']],
  ['the native helper spawned, koker-init up to the exec of the command', ['launch']],
  ['the container runs and ends, koker sees it', ['wait']],
  ['teardown (cgroups, rootfs, network, record)', ['teardown']],
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** Milliseconds of each phase in one trace file; a phase none of whose spans is there is missing. */
export function phasesOfTrace(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const events = (Array.isArray(parsed) ? parsed : parsed.traceEvents).filter((e) => e.ph === 'X');
  return PHASES.map(([, names]) => {
    const spans = events.filter((e) => names.includes(e.name));
    return spans.length ? spans.reduce((sum, e) => sum + e.dur, 0) / 1000 : undefined;
  });
}

/** Median milliseconds of each phase over `runs` runs of `command` (a shell string), traced through KOKER_TRACE. */
export function measurePhases(command, runs = Number(process.env.KOKER_BENCH_RUNS ?? 15)) {
  const dir = mkdtempSync(join(tmpdir(), 'koker-bench-trace-'));
  const samples = PHASES.map(() => []);
  const totals = [];
  try {
    for (let i = 0; i < runs; i++) {
      const file = join(dir, `run-${i}.json`);
      const start = Date.now();
      const out = spawnSync('bash', ['-c', `KOKER_TRACE=${file} ${command}`], { encoding: 'utf8' });
      const end = Date.now();
      if (out.status !== 0) throw new Error(`${command} failed (${out.status}): ${out.stderr.slice(-500)}`);
      phasesOfTrace(file).forEach((ms, index) => {
        if (ms === undefined) throw new Error(`${file}: no span of "${PHASES[index][1].join('", "')}"`);
        samples[index].push(ms);
      });
      totals.push(end - start);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    phases: PHASES.map(([name], index) => ({ name, ms: Math.round(median(samples[index])) })),
    total: median(totals),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = mkdtempSync(join(tmpdir(), 'koker-bench-phases-'));
  const koker = setupKoker({ dir, archive: busyboxArchive(dir) });
  try {
    const { phases, total } = measurePhases(koker.command('run --rm --network none busybox true'));
    for (const phase of phases) console.log(`${String(phase.ms).padStart(5)} ms  ${phase.name}`);
    console.log(`${String(total).padStart(5)} ms  in all (wall, median)`);
  } finally {
    await koker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
