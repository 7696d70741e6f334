// bench/pull: `koker pull` (download + verify + extract) of the >= 100 MB fixture image from a
// loopback docker-registry, side by side with `skopeo copy` + `umoci unpack` and with a plain
// `tar -xzf` of the same layer blobs from local files. Goals (issue 3): koker at most half the
// time of skopeo + umoci, and no slower than tar -xzf.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { KOKER, REPO, compare, ensureApt, writeResults } from '../lib/harness.mjs';

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
  const rows = compare(
    [
      {
        name: 'koker pull (download, verify, extract)',
        command: `node ${KOKER} --root ${root} pull -q ${image} > /dev/null`,
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
      runs: Number(process.env.KOKER_BENCH_RUNS ?? 7),
      warmup: 1,
      baseline: 'koker pull (download, verify, extract)',
    },
  );
  const [koker, skopeo, tar] = rows;
  writeResults('pull', {
    title: `Pull + extract of a ${(totalBytes / 1e6).toFixed(0)} MB (compressed, ${manifest.layers.length} layers) image from a loopback registry`,
    rows,
    goals: [
      {
        text: `koker <= 0.5x skopeo + umoci (${(koker.median / skopeo.median).toFixed(2)}x)`,
        ok: koker.median <= 0.5 * skopeo.median,
      },
      {
        text: `koker <= tar -xzf (${(koker.median / tar.median).toFixed(2)}x)`,
        ok: koker.median <= tar.median,
      },
    ],
    notes: [
      `CPU time (user + system, mean): ${rows.map((r) => `${r.name.split(' (')[0]} ${(r.user + r.system).toFixed(2)} s`).join(', ')}; load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.`,
      'koker also downloads over HTTP, verifies every digest and keeps the compressed blobs; tar reads local files.',
      `layers are downloaded ${3} at a time (registry.concurrency) and extracted while they arrive.`,
    ],
  });
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
