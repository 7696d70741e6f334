// The entry of koker's start-up snapshot (ADR 0010): `npm run build` runs this file under
// `node --build-snapshot`, so the blob holds the CLI already loaded. bin/koker starts Node from
// it; Node then calls the function below instead of loading and compiling the bundle again.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { main } from './main.js';
import { type ModuleImporter, useModuleImporter } from './module-importer.js';
import { buildProgram } from './program.js';
import { startupSnapshotPath } from './startup-snapshot.js';

/**
 * Loads the code of `koker run`'s own path into the snapshot, so a run starts with it compiled:
 * the command line as `run` builds it, and the modules run and its default drivers import on
 * demand. Loading only: nothing here touches the machine (no file, no system call, no koffi).
 */
async function loadRunPath(): Promise<void> {
  await buildProgram(['run', '--rm', '--network', 'none', 'busybox', 'true']);
  await import('./run/run-container.js');
}

startupSnapshot.setDeserializeMainFunction(() => {
  // The bundle's code finds koker's native helpers relative to its own file; in the snapshot that
  // file is dist/bundle/koker.js next to the blob's directory, wherever the checkout now lives.
  const given = startupSnapshotPath();
  if (given !== undefined) {
    const blob = resolve(given); // `node --snapshot-blob` by hand may name it relative to the cwd
    (globalThis as { __kokerBundleUrl?: string }).__kokerBundleUrl = pathToFileURL(
      join(dirname(blob), '..', 'bundle', 'koker.js'),
    ).href;
    // Driver modules of the configuration: import() from a file Node loads the usual way.
    useModuleImporter(createRequire(blob)('./import-module.cjs') as ModuleImporter);
  }
  // argv: node, then koker's own arguments (bin/koker puts them after `--`).
  void main(process.argv.slice(1)).then((code) => {
    process.exitCode = code;
  });
});

loadRunPath().catch((error: unknown) => {
  process.stderr.write(`koker's start-up snapshot: cannot load run's code: ${String(error)}\n`);
  process.exit(1);
});
