// `npm pack` of the koker command (prepack: `node pack.mjs stage`, postpack: `node pack.mjs
// clean`). The CLI is already one bundle (dist/bundle, dist/snapshot); the tarball adds what an
// installed koker needs that lives elsewhere in the monorepo:
// - native/: the C sources and Makefile, and the helpers built here (prebuilt, for this machine's
//   architecture). postinstall.mjs builds them again with the installing machine's compiler and
//   keeps a prebuilt one only where that fails. They land in native/build/, where
//   findNativeBuild (@koker/host) looks, walking up from dist/bundle.
// - node_modules/@koker/core, a bundled dependency (the workspace packages are not published),
//   with its own dependencies (tsyringe, reflect-metadata, ...: npm bundles those too and
//   would install them empty if they were missing): the contracts, for driver modules that
//   import them and are installed inside koker's own node_modules. koker itself never loads it
//   (its copy is in the bundle); contracts match through Symbol.for() tokens.
// Both are staged as real copies (npm packs neither symlinks nor the workspace's links) and
// removed afterwards. Each appears by a rename, so a koker of this checkout started meanwhile
// sees the whole copy or none.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = dirname(fileURLToPath(import.meta.url));
const repo = join(cli, '..', '..');
const modules = join(cli, 'node_modules');

/** @koker/core's dependencies and theirs, as installed at the workspace's root. */
function coreDependencies() {
  const found = new Set();
  const visit = (manifest) => {
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (found.has(name)) continue;
      found.add(name);
      visit(JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')));
    }
  };
  visit(JSON.parse(readFileSync(join(repo, 'packages', 'core', 'package.json'), 'utf8')));
  return [...found];
}

// packages/cli/node_modules exists only while packing (npm links the workspace at the root);
// this file says it is the pack's own, so that cleaning never removes what npm put there.
const marker = join(modules, '.koker-pack');

function clean() {
  rmSync(join(cli, 'native'), { recursive: true, force: true });
  if (existsSync(marker)) rmSync(modules, { recursive: true, force: true });
}

function stageCopy(target, fill) {
  const temporary = `${target}.staging`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  fill(temporary);
  renameSync(temporary, target);
}

function stage() {
  clean(); // what an interrupted pack left
  for (const file of ['dist/bundle/koker.js', 'dist/snapshot/koker.cjs', '../core/dist/index.js']) {
    if (!existsSync(join(cli, file)))
      throw new Error(`pack: ${file} is missing: run \`npm run build\` first`);
  }
  // Tools' caches (.vite, .cache) may leave a node_modules with dot-directories only: not packed.
  if (existsSync(modules) && readdirSync(modules).every((entry) => entry.startsWith('.')))
    rmSync(modules, { recursive: true, force: true });
  if (existsSync(modules)) {
    throw new Error(`pack: ${modules} exists (npm nested a dependency there): it would be packed with koker`);
  }
  mkdirSync(modules);
  writeFileSync(marker, 'staged by pack.mjs, removed after npm pack\n');
  execFileSync('make', ['-s', '-C', join(repo, 'native')], { stdio: 'inherit' });
  stageCopy(join(cli, 'native'), (dir) => {
    cpSync(join(repo, 'native', 'Makefile'), join(dir, 'Makefile'));
    cpSync(join(repo, 'native', 'src'), join(dir, 'src'), { recursive: true });
    cpSync(join(repo, 'native', 'build'), join(dir, 'build'), { recursive: true });
    // The architecture the prebuilt helpers run on (process.arch).
    writeFileSync(join(dir, 'prebuilt-arch'), `${process.arch}\n`);
  });
  for (const name of coreDependencies()) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    stageCopy(join(modules, name), (dir) =>
      cpSync(join(repo, 'node_modules', name), dir, { recursive: true }),
    );
  }
  mkdirSync(join(modules, '@koker'), { recursive: true });
  stageCopy(join(modules, '@koker', 'core'), (dir) => {
    cpSync(join(repo, 'packages', 'core', 'package.json'), join(dir, 'package.json'));
    cpSync(join(repo, 'packages', 'core', 'dist'), join(dir, 'dist'), {
      recursive: true,
      filter: (source) => !source.endsWith('.tsbuildinfo'),
    });
  });
}

const action = process.argv[2];
if (action === 'stage') stage();
else if (action === 'clean') clean();
else throw new Error('usage: node pack.mjs stage|clean');
