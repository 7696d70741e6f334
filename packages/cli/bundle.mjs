// Bundles the compiled CLI (tsc output, so decorator metadata is kept) into a few ESM files:
// one for start-up, and chunks that heavy commands load on demand; then koker's start-up
// snapshot (ADR 0010): the same program as one CommonJS file, run once under
// `node --build-snapshot`. Start-up time matters: see bench/ and docs/benchmarks.md.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { buildSnapshotBlob } from './snapshot-blob.mjs';

const result = await build({
  entryPoints: { koker: 'dist/cli.js', 'koker-runtime': 'dist/runtime/runtime-cli.js' },
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

/**
 * Packages left out of the snapshot and loaded from node_modules when first used: undici is half
 * the bundle and only pulls need it. (The snapshot's own require() knows built-in modules only.)
 */
function loadedAtRunTime(names) {
  return {
    name: 'loaded-at-run-time',
    setup(b) {
      const filter = new RegExp(`^(${names.join('|')})$`);
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'run-time' }));
      b.onLoad({ filter: /.*/, namespace: 'run-time' }, (args) => ({
        contents: `module.exports = require('node:module').createRequire(globalThis.__kokerBundleUrl)(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

// The snapshot (snapshot-blob.mjs): koker.cjs here, then the blob made and stamped by this node.
const snapshot = 'dist/snapshot';
mkdirSync(snapshot, { recursive: true });
const replace = (file, contents) => {
  writeFileSync(`${file}.tmp`, contents);
  renameSync(`${file}.tmp`, file);
};
await build({
  entryPoints: ['dist/snapshot.js'],
  outfile: join(snapshot, 'koker.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  conditions: ['import', 'node'],
  // Set at start from the blob's path (src/snapshot.ts): the build machine's paths mean nothing.
  define: { 'import.meta.url': 'globalThis.__kokerBundleUrl' },
  plugins: [loadedAtRunTime(['undici'])],
  // V8 keeps the script's source in the snapshot's heap, and Node its copy of the blob for the
  // whole process: minified, the blob is 0.9 MB smaller, and so is every command's memory
  // (docs/benchmarks.md, "Memory of pull and push"). Names are kept: errors and classes say theirs.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  legalComments: 'none',
});
// import() of the driver modules named in the configuration (src/module-importer.ts).
replace(join(snapshot, 'import-module.cjs'), 'module.exports = (specifier) => import(specifier);\n');
buildSnapshotBlob(snapshot);
