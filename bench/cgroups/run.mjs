// bench/cgroups: the cost of a container's cgroups (create with limits, then teardown) through
// koker's resources driver, side by side with the bare mkdir/write/rmdir calls on the same
// directories (the floor any engine pays). Both include one node start-up; 50 containers a run.
import { join } from 'node:path';
import { REPO, compare, writeResults } from '../lib/harness.mjs';

const cycle = join(REPO, 'bench', 'cgroups', 'cycle.mjs');
const N = 50;
const rows = compare(
  [
    { name: `raw mkdir/write/rmdir x${N}`, command: `node ${cycle} raw ${N} /tmp/koker-bench-cgroups` },
    {
      name: `koker driver create+destroy x${N}`,
      command: `node ${cycle} driver ${N} /tmp/koker-bench-cgroups`,
    },
  ],
  { runs: 10, warmup: 2, baseline: `raw mkdir/write/rmdir x${N}` },
);
const koker = rows.find((r) => r.name.startsWith('koker'));
const raw = rows.find((r) => r.name.startsWith('raw'));
const perContainerMs = ((koker.median - raw.median) / N) * 1000;
writeResults('cgroups', {
  title: `Cgroups: ${N} containers' cgroups created with limits and torn down`,
  rows,
  goals: [
    {
      text: `koker's driver within 2x of the bare syscalls (validation, cpuset inheritance, kill-then-rmdir teardown included): ${koker.ratio.toFixed(2)}x`,
      ok: koker.ratio <= 2,
    },
  ],
  notes: [`koker's overhead per container over the bare calls: ${perContainerMs.toFixed(2)} ms`],
});
