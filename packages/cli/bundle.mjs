// Bundles the compiled CLI (tsc output, so decorator metadata is kept) into a few ESM files:
// one for start-up, and chunks that heavy commands load on demand. Start-up time matters:
// see bench/ and docs/benchmarks.md.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names change with their contents: stale ones from earlier builds must not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
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
});
