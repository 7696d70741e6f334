// Runs when the packed koker command is installed (`npm install -g koker-cli-*.tgz`): makes it
// fit this machine. Nothing here may fail the install; without it (npm set to skip install
// scripts) the installed koker still works, from the prebuilt helpers and the bundle.
// 1. native/: koker-init, koker-monitor, koker-dns and the Node-API addons, built with this machine's C
//    compiler (gcc, make, libc headers) into native/build/; each helper that does not build
//    keeps the prebuilt copy from `npm pack`, or is removed when made for another architecture
//    (koker then says how to build it, instead of failing with ENOEXEC).
// 2. dist/snapshot/koker.blob: the start-up snapshot, made by the node running this install
//    (a blob runs only in the binary that made it; bin/koker falls back to the bundle otherwise).
// In the monorepo (src/ next to this file) there is nothing to do: `npm run build` does both.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSnapshotBlob } from './snapshot-blob.mjs';

const cli = dirname(fileURLToPath(import.meta.url));
const HELPERS = ['koker-init', 'koker-monitor', 'koker-dns', 'koker-flock.node', 'koker-xattr.node'];

const say = (line) => console.error(`koker: ${line}`);

/** node_api.h for the addons: the running node's own headers, Debian's, else koffi's vendored copy. */
function nodeApiHeader() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h'),
    '/usr/include/node/node_api.h',
  ];
  try {
    const koffi = dirname(createRequire(join(cli, 'package.json')).resolve('koffi'));
    candidates.push(join(koffi, 'vendor', 'node-api-headers', 'include', 'node_api.h'));
  } catch {
    // koffi absent: only the system headers remain
  }
  return candidates.find((path) => existsSync(path));
}

function buildNative() {
  const native = join(cli, 'native');
  const prebuiltArch = readFileSync(join(native, 'prebuilt-arch'), 'utf8').trim();
  const work = mkdtempSync(join(native, 'build-'));
  const header = nodeApiHeader();
  const failed = [];
  try {
    for (const helper of HELPERS) {
      const args = [
        '-s',
        '-C',
        native,
        `BUILD=${work}`,
        ...(header ? [`NODE_API_INCLUDE=${header}`] : []),
        join(work, helper),
      ];
      const made = spawnSync('make', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (made.status === 0) renameSync(join(work, helper), join(native, 'build', helper));
      else
        failed.push({
          helper,
          why:
            made.error?.code === 'ENOENT'
              ? 'make is not installed'
              : (made.stderr || made.error?.message || '').trim().split('\n').slice(-3).join(' / '),
        });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (failed.length === 0) return say("built the native helpers with this machine's C compiler");
  for (const { helper, why } of failed) {
    if (prebuiltArch === process.arch) {
      say(
        `could not build ${helper} (${why || 'no make or C compiler?'}); using the prebuilt ${prebuiltArch} one`,
      );
    } else {
      rmSync(join(native, 'build', helper), { force: true });
      say(
        `could not build ${helper} (${why || 'no make or C compiler?'}) and the prebuilt one is for ${prebuiltArch}: install gcc, make and libc headers, then run \`make -C ${native}\``,
      );
    }
  }
}

function buildSnapshot() {
  try {
    buildSnapshotBlob(join(cli, 'dist', 'snapshot'));
  } catch (error) {
    say(`no start-up snapshot (${error.message}); koker starts from its bundle, a little slower`);
  }
}

if (!existsSync(join(cli, 'src'))) {
  buildNative();
  buildSnapshot();
}
