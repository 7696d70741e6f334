// bench/pull: `koker pull` (download + verify + extract) of the >= 100 MB fixture image from a
// loopback docker-registry, side by side with `skopeo copy` + `umoci unpack` and with a plain
// `tar -xzf` of the same layer blobs from local files. Goals (docs/benchmarks.md): koker at most half the
// time of skopeo + umoci, and no slower than tar -xzf. Paired rounds (bench/lib/paired.mjs):
// on this shared machine the load drifts too much between hyperfine's blocks of runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  CLI_PEAK_RSS_GOAL_KIB,
  KOKER,
  REPO,
  ensureApt,
  loadAverage,
  peakRssRow,
  writeResults,
} from '../lib/harness.mjs';
import { paired } from '../lib/paired.mjs';

ensureApt('docker-registry', 'skopeo', 'umoci', 'hyperfine', 'busybox-static', 'zstd', 'apache2-utils');

// The fixture tooling is TypeScript (e2e/fixtures): bundle it for plain node, next to node_modules.
const fixturesDir = join(REPO, 'e2e', 'fixtures');
const bundle = join(fixturesDir, `.bench-fixtures-${process.pid}.mjs`);
await build({
  entryPoints: [join(fixturesDir, 'fixture-registry.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
process.env.KOKER_E2E_FIXTURES_DIR = fixturesDir;
const { fixtureRegistry } = await import(pathToFileURL(bundle).href);
rmSync(bundle, { force: true });

const registry = await fixtureRegistry({ large: true });
const work = mkdtempSync(join(tmpdir(), 'koker-bench-pull-'));
try {
  const image = registry.images.large;
  const layout = join(registry.storage, '..', 'layout');
  // The same layer blobs the registry serves, as files, for tar.
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const top = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'large');
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', top.digest.slice(7)), 'utf8'));
  const blobs = manifest.layers.map((l) => join(layout, 'blobs', 'sha256', l.digest.slice(7)));
  const totalBytes = manifest.layers.reduce((sum, l) => sum + l.size, 0);

  const root = join(work, 'koker-root');
  const oci = join(work, 'oci');
  const bundleDir = join(work, 'bundle');
  const tarDir = join(work, 'tar');
  const tarCommand = blobs
    .map((blob, i) => `mkdir -p ${tarDir}/${i} && tar -xzf ${blob} -C ${tarDir}/${i}`)
    .join(' && ');
  const rows = paired(
    [
      {
        name: 'koker pull (download, verify, extract)',
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
    ],
    {
      rounds: Number(process.env.KOKER_BENCH_RUNS ?? 7),
      baseline: 'koker pull (download, verify, extract)',
    },
  );
  const [koker, skopeo, tar] = rows;
  // The CLI's memory goal (<= 80 MB) for a pull of a small image too: there the process's own
  // footprint shows, not the buffers of 167 MB passing through.
  const smallRoot = join(work, 'koker-root-small');
  const small = peakRssRow(
    'koker pull (busybox)',
    `rm -rf ${smallRoot} && ${KOKER} --root ${smallRoot} pull -q ${registry.images.busybox} > /dev/null`,
  );
  // Per-round ratios (the rows' ratio is each command's time over koker's in the same round).
  const toSkopeo = 1 / skopeo.ratio;
  const toTar = 1 / tar.ratio;
  writeResults('pull', {
    title: `Pull + extract of a ${(totalBytes / 1e6).toFixed(0)} MB (compressed, ${manifest.layers.length} layers) image from a loopback registry (${koker.runs} paired rounds)`,
    rows,
    goals: [
      {
        text: `koker <= 0.5x skopeo + umoci (median per-round ratio ${toSkopeo.toFixed(2)}x)`,
        ok: toSkopeo <= 0.5,
      },
      {
        text: `koker <= tar -xzf (median per-round ratio ${toTar.toFixed(2)}x)`,
        ok: toTar <= 1,
      },
      {
        text: `koker pull peak RSS <= 80 MB, small image (busybox, median of ${small.runs}): ${(small.peakKiB / 1024).toFixed(0)} MiB`,
        ok: small.peakKiB <= CLI_PEAK_RSS_GOAL_KIB,
      },
      {
        text: `koker pull peak RSS <= 80 MB, this image (median): ${(koker.peakRssKiB / 1024).toFixed(0)} MiB`,
        ok: koker.peakRssKiB <= CLI_PEAK_RSS_GOAL_KIB,
      },
    ],
    notes: [
      `CPU time (user + system, median): ${rows.map((r) => `${r.name.split(' (')[0]} ${r.cpu.toFixed(2)} s`).join(', ')}; peak RSS (median): ${rows.map((r) => `${r.name.split(' (')[0]} ${(r.peakRssKiB / 1024).toFixed(0)} MiB`).join(', ')}.`,
      `load average at the end: ${loadAverage()} (2 CPUs, shared with other work).`,
      'ratio column: the median over rounds of (command / koker pull) in the same round; mean ± σ, min … max are wall times.',
      'koker also downloads over HTTP, verifies every digest, keeps the compressed blobs (fsynced) and hashes the diffIDs; tar reads local files and writes nothing durable.',
      'layers are downloaded 3 at a time (registry.concurrency) and each is extracted while its bytes arrive.',
    ],
  });
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
