// bench/pull: `koker pull` (download + verify + extract) of the >= 100 MB fixture image from a
// loopback docker-registry, side by side with `skopeo copy` + `umoci unpack` and with a plain
// `tar -xzf` of the same layer blobs from local files. Goals (docs/benchmarks.md): koker at most half the
// time of skopeo + umoci, and no slower than tar -xzf, on a quiet machine and again with a CPU
// hog beside; and the CLI's peak RSS <= 80 MB. Paired rounds (bench/lib/paired.mjs): on this
// shared machine the load drifts too much between hyperfine's blocks of runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCpuHog } from '../lib/cpu-hog.mjs';
import { fixtureRegistry, largeImageLayout } from '../lib/fixtures.mjs';
import {
  CLI_PEAK_RSS_GOAL_KIB,
  KOKER,
  ensureApt,
  loadAverage,
  peakRssRow,
  writeResults,
} from '../lib/harness.mjs';
import { paired } from '../lib/paired.mjs';

ensureApt('skopeo', 'umoci', 'time');

const registry = await fixtureRegistry({ large: true });
const work = mkdtempSync(join(tmpdir(), 'koker-bench-pull-'));
try {
  const image = registry.images.large;
  const layout = largeImageLayout(registry);
  const root = join(work, 'koker-root');
  const oci = join(work, 'oci');
  const bundleDir = join(work, 'bundle');
  const tarDir = join(work, 'tar');
  const tarCommand = layout.layers
    .map((blob, i) => `mkdir -p ${tarDir}/${i} && tar -xzf ${blob} -C ${tarDir}/${i}`)
    .join(' && ');
  const KOKER_ROW = 'koker pull (download, verify, extract)';
  const commands = [
    {
      name: KOKER_ROW,
      command: `${KOKER} --root ${root} pull -q ${image} > /dev/null`,
      prepare: `rm -rf ${root} && sync`,
    },
    {
      name: 'skopeo copy + umoci unpack',
      command: `skopeo --insecure-policy copy -q --src-tls-verify=false docker://${image} oci:${oci}:large && umoci unpack --image ${oci}:large ${bundleDir} > /dev/null`,
      prepare: `rm -rf ${oci} ${bundleDir} && sync`,
    },
    {
      name: 'tar -xzf of the same layers (local files)',
      command: tarCommand,
      prepare: `rm -rf ${tarDir} && sync`,
    },
  ];
  const rounds = Number(process.env.KOKER_BENCH_RUNS ?? 7);
  const rows = paired(commands, { rounds, baseline: KOKER_ROW });
  const quietLoad = loadAverage();
  // The same rounds with a CPU hog beside: koker extracts on one thread, tar and skopeo + umoci
  // spread over processes, so a busy CPU is where the ratios move.
  const hog = startCpuHog(0);
  let loaded;
  try {
    loaded = paired(commands, { rounds, baseline: KOKER_ROW }).map((row) => ({
      ...row,
      name: `${row.name}, with ${hog.description}`,
    }));
  } finally {
    await hog.stop();
  }
  // The CLI's memory goal (<= 80 MB) for a pull of a small image too: there the process's own
  // footprint shows, not the buffers of 167 MB passing through.
  const smallRoot = join(work, 'koker-root-small');
  const small = peakRssRow(
    'koker pull (busybox)',
    `rm -rf ${smallRoot} && ${KOKER} --root ${smallRoot} pull -q ${registry.images.busybox} > /dev/null`,
  );
  const ratios = (set) => ({ skopeo: 1 / set[1].ratio, tar: 1 / set[2].ratio });
  const quiet = ratios(rows);
  const busy = ratios(loaded);
  const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;
  writeResults('pull', {
    title: `Pull + extract of a ${(layout.compressedBytes / 1e6).toFixed(0)} MB (compressed, ${layout.layers.length} layers) image from a loopback registry (${rows[0].runs} paired rounds, then again under load)`,
    rows: [...rows, ...loaded],
    goals: [
      {
        text: `koker <= 0.5x skopeo + umoci (median per-round ratio ${quiet.skopeo.toFixed(2)}x)`,
        ok: quiet.skopeo <= 0.5,
      },
      { text: `koker <= tar -xzf (median per-round ratio ${quiet.tar.toFixed(2)}x)`, ok: quiet.tar <= 1 },
      {
        text: `under load (${hog.description}): koker <= 0.5x skopeo + umoci (${busy.skopeo.toFixed(2)}x)`,
        ok: busy.skopeo <= 0.5,
      },
      { text: `under load: koker <= tar -xzf (${busy.tar.toFixed(2)}x)`, ok: busy.tar <= 1 },
      {
        text: `koker pull peak RSS <= 80 MB, small image (busybox, median of ${small.runs}): ${mib(small.peakKiB)}`,
        ok: small.peakKiB <= CLI_PEAK_RSS_GOAL_KIB,
      },
      {
        text: `koker pull peak RSS <= 80 MB, this image (median): ${mib(rows[0].peakRssKiB)} (skopeo copy + umoci unpack: ${mib(rows[1].peakRssKiB)})`,
        ok: rows[0].peakRssKiB <= CLI_PEAK_RSS_GOAL_KIB,
      },
    ],
    notes: [
      `CPU time (user + system, median): ${rows.map((r) => `${r.name.split(' (')[0]} ${r.cpu.toFixed(2)} s`).join(', ')}; peak RSS (median): ${rows.map((r) => `${r.name.split(' (')[0]} ${mib(r.peakRssKiB)}`).join(', ')}.`,
      `load average after the quiet rounds: ${quietLoad}; after the loaded ones: ${loadAverage()} (2 CPUs, shared with other work).`,
      'ratio column: the median over rounds of (command / koker pull) in the same round; mean ± σ, min … max are wall times.',
      'koker also downloads over HTTP, verifies every digest, keeps the compressed blobs (fsynced) and hashes the diffIDs; tar reads local files and writes nothing durable.',
      'layers are downloaded 3 at a time (registry.concurrency) and each is extracted while its bytes arrive.',
    ],
  });
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
