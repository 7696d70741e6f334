// Paired rounds, for a loaded machine: each round runs GNU tar and koker's applier on the same
// blobs back to back (alternating which goes first), so both see the same load; the ratio is
// taken per round, and the median of those is reported with the medians of wall and CPU time.
// Usage: node bench/extract/paired.mjs <fixture-dir> <rounds> <gz|zst> [layer-name-prefix...]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [fixture = '/tmp/koker-bench-extract-fixture', roundsText = '5', kind = 'gz', ...prefixes] =
  process.argv.slice(2);
const rounds = Number(roundsText);
const blobs = readdirSync(fixture)
  .filter(
    (f) => f.endsWith(`.tar.${kind}`) && (prefixes.length === 0 || prefixes.some((p) => f.startsWith(p))),
  )
  .sort()
  .map((f) => join(fixture, f));
const out = mkdtempSync('/tmp/koker-bench-paired-');
const bytes = blobs.reduce((sum, blob) => {
  const tar = execFileSync(kind === 'gz' ? 'gzip' : 'zstd', ['-dcq', blob], { maxBuffer: 4 * 1024 ** 3 });
  return sum + tar.length;
}, 0);

const tarFlags = kind === 'gz' ? ['-xzf'] : ['--zstd', '-xf'];
const tarScript = blobs
  .map(
    (b) =>
      `mkdir -p ${out}/tar/${basename(b)} && tar ${tarFlags.join(' ')} ${b} -C ${out}/tar/${basename(b)}`,
  )
  .join(' && ');
const commands = {
  tar: ['bash', '-c', tarScript],
  koker: ['node', join(here, 'apply-layers.mjs'), join(out, 'koker'), ...blobs],
};

function timed(name) {
  rmSync(join(out, name), { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync('sync');
  const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ...commands[name]], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
  const [wall, user, sys] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
  rmSync(join(out, name), { recursive: true, force: true });
  return { wall, cpu: user + sys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['tar', 'koker'] : ['koker', 'tar'];
    const r = {};
    for (const name of order) r[name] = timed(name);
    results.push(r);
    console.error(
      `round ${round + 1}: tar ${r.tar.wall}s koker ${r.koker.wall}s (cpu ${r.tar.cpu.toFixed(1)} / ${r.koker.cpu.toFixed(1)})`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
const mb = bytes / 1e6;
const summary = {
  kind,
  blobs: blobs.map((b) => basename(b)),
  uncompressedMB: Math.round(mb),
  rounds,
  load: execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim(),
  tar: { wall: median(results.map((r) => r.tar.wall)), cpu: median(results.map((r) => r.tar.cpu)) },
  koker: { wall: median(results.map((r) => r.koker.wall)), cpu: median(results.map((r) => r.koker.cpu)) },
  ratioWall: median(results.map((r) => r.tar.wall / r.koker.wall)),
  ratioCpu: median(results.map((r) => r.tar.cpu / r.koker.cpu)),
  results,
};
const line = (name, x) =>
  `${name.padEnd(24)} wall ${x.wall.toFixed(2)} s (${(mb / x.wall).toFixed(0)} MB/s)  cpu ${x.cpu.toFixed(2)} s`;
const text = [
  `${kind}: ${summary.blobs.join(', ')} (${summary.uncompressedMB} MB uncompressed), ${rounds} paired rounds, load ${summary.load}`,
  line(`GNU tar ${tarFlags.join(' ')}`, summary.tar),
  line('koker applyLayer', summary.koker),
  `median per-round ratio tar/koker: wall ${summary.ratioWall.toFixed(2)}, cpu ${summary.ratioCpu.toFixed(2)} (above 1: koker is faster)`,
].join('\n');
console.log(text);
const results_dir = join(here, '..', 'results');
mkdirSync(results_dir, { recursive: true });
writeFileSync(join(results_dir, `extract-paired-${kind}.json`), JSON.stringify(summary, null, 2));
writeFileSync(join(results_dir, `extract-paired-${kind}.txt`), `${text}\n`);
