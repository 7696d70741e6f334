// The e2e fixtures for the benchmarks that talk to a registry (bench/pull, bench/push,
// bench/memory): the fixture tooling (TypeScript, e2e/fixtures) bundled once for plain node, and
// the `large` image's layer blobs as files of the fixtures' OCI layout. Built images are cached
// in /tmp/koker-e2e-cache, shared with the e2e tests.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO, ensureApt } from './harness.mjs';

let tooling;

/** e2e/fixtures/fixture-registry.ts, bundled next to node_modules and imported (once per process). */
async function fixtureTooling() {
  if (tooling) return tooling;
  ensureApt('docker-registry', 'skopeo', 'busybox-static', 'zstd', 'apache2-utils');
  const fixturesDir = join(REPO, 'e2e', 'fixtures');
  const bundle = join(fixturesDir, `.bench-fixtures-${process.pid}.mjs`);
  try {
    await build({
      entryPoints: [join(fixturesDir, 'fixture-registry.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    // The fixture cache is keyed by the sources' hash: they are read from here, not the bundle's directory.
    process.env.KOKER_E2E_FIXTURES_DIR = fixturesDir;
    tooling = await import(pathToFileURL(bundle).href);
  } finally {
    rmSync(bundle, { force: true });
  }
  return tooling;
}

/** A loopback docker-registry serving the fixtures (see e2e/fixtures/fixture-registry.ts for `options`). */
export async function fixtureRegistry(options = {}) {
  return (await fixtureTooling()).fixtureRegistry(options);
}

/**
 * The `large` fixture (>= 100 MB uncompressed, 5 gzip layers) as the OCI layout on disk holds it:
 * the layout directory, its manifest, the layer blob files and their compressed size in total.
 */
export function largeImageLayout(registry) {
  const dir = join(registry.storage, '..', 'layout');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const top = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'large');
  const blob = (digest) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(top.digest), 'utf8'));
  return {
    dir,
    manifest,
    layers: manifest.layers.map((l) => blob(l.digest)),
    compressedBytes: manifest.layers.reduce((sum, l) => sum + l.size, 0),
  };
}
