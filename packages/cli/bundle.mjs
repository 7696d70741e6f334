// Bundles the compiled CLI (tsc output, so decorator metadata is kept) into a few ESM files:
// one for start-up, and chunks that heavy commands load on demand. Start-up time matters:
// see bench/ and docs/benchmarks.md.
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const result = await build({
  entryPoints: { koker: 'dist/cli.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // koffi is a native addon: it is loaded from node_modules at run time.
  external: ['koffi'],
  conditions: ['import', 'node'],
  banner: {
    js: "import { createRequire as __kokerCreateRequire } from 'node:module'; const require = __kokerCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
});

// Chunk names change with their contents: stale ones from earlier builds must not pile up. They
// go after the new files are written (same names, same contents), so a koker started meanwhile
// (another test run on this checkout) never finds koker.js or one of its chunks missing.
const written = new Set(Object.keys(result.metafile.outputs).map((path) => resolve(path)));
for (const file of readdirSync('dist/bundle')) {
  const path = resolve(join('dist/bundle', file));
  if (!written.has(path)) rmSync(path, { force: true });
}
