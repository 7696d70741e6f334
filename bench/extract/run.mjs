// bench/extract: koker's layer applier against GNU tar extracting the same blobs, in paired
// rounds (bench/lib/paired.mjs: both back to back in each round, so both see the same load),
// for gzip and zstd layers. Needs root (both keep owners) and a build.
// KOKER_BENCH_EXTRACT_ALL=1 adds the large /usr/share layer (~680 MB, ~54,000 files).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureApt, loadAverage, writeResults } from '../lib/harness.mjs';
import { paired } from '../lib/paired.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = process.env.KOKER_BENCH_EXTRACT_FIXTURE ?? '/tmp/koker-bench-extract-fixture';
const prefixes = process.env.KOKER_BENCH_EXTRACT_ALL ? ['1-', '2-', '3-'] : ['2-', '3-'];
const runs = Number(process.env.KOKER_BENCH_RUNS ?? 7);

ensureApt('zstd', 'tar', 'gzip');
execFileSync(join(here, 'make-fixture.sh'), [fixture], { stdio: ['ignore', 'ignore', 'inherit'] });
const out = mkdtempSync('/tmp/koker-bench-extract-out-');
const rows = [];
const goals = [];
const sizes = [];
try {
  for (const [kind, tarFlags, label] of [
    ['gz', '-xzf', 'gzip'],
    ['zst', '--zstd -xf', 'zstd'],
  ]) {
    const blobs = readdirSync(fixture)
      .filter((f) => f.endsWith(`.tar.${kind}`) && prefixes.some((p) => f.startsWith(p)))
      .sort()
      .map((f) => join(fixture, f));
    const bytes = blobs.reduce(
      (sum, blob) =>
        sum + execFileSync(kind === 'gz' ? 'gzip' : 'zstd', ['-dcq', blob], { maxBuffer: 4 << 30 }).length,
      0,
    );
    sizes.push(
      `${label}: ${blobs.map((b) => basename(b)).join(', ')} = ${(bytes / 1e6).toFixed(0)} MB uncompressed`,
    );
    const tarCommand = blobs
      .map((b) => `mkdir -p ${out}/tar/${basename(b)} && tar ${tarFlags} ${b} -C ${out}/tar/${basename(b)}`)
      .join(' && ');
    const pair = paired(
      [
        { name: `GNU tar ${tarFlags}`, command: tarCommand, prepare: `rm -rf ${out}/tar; sync` },
        {
          name: `koker applyLayer (${label})`,
          command: `node ${join(here, 'apply-layers.mjs')} ${out}/koker ${blobs.join(' ')}`,
          prepare: `rm -rf ${out}/koker; sync`,
        },
      ],
      { rounds: runs },
    );
    for (const row of pair) row.throughputMBps = Math.round(bytes / 1e6 / row.median);
    rows.push(...pair);
    // The median over rounds of koker / tar in the same round.
    const ratio = pair[1].ratio;
    goals.push({
      text: `${label}: koker no slower than GNU tar (koker/tar = ${ratio.toFixed(2)}, CPU ${pair[1].cpuRatio.toFixed(2)}; koker ${pair[1].throughputMBps} MB/s, tar ${pair[0].throughputMBps} MB/s)`,
      ok: ratio <= 1,
    });
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
writeResults('extract', {
  title: 'Layer extraction: koker applyLayer vs GNU tar (same blobs, same run)',
  rows,
  goals,
  notes: [
    ...sizes,
    `CPU time (user + system, median): ${rows.map((r) => `${r.name} ${r.cpu.toFixed(2)} s`).join(', ')}`,
    `${runs} paired rounds; ratio column: median over rounds of (command / GNU tar of the same compression) in the same round; load average at the end: ${loadAverage()}`,
  ],
});
