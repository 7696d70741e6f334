// bench/push: `koker push` of the >= 100 MB fixture image (pulled into a koker root first) to an
// empty loopback docker-registry, side by side with `skopeo copy` of the same image from an OCI
// layout on local disk to the same registry. Every run gets a fresh, empty registry; paired
// rounds as bench/pull's (bench/lib/paired.mjs cannot start a registry between runs).
import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureRegistry, largeImageLayout } from '../lib/fixtures.mjs';
import { CLI_PEAK_RSS_GOAL_KIB, KOKER, ensureApt, loadAverage, writeResults } from '../lib/harness.mjs';

ensureApt('skopeo', 'time');

const source = await fixtureRegistry({ large: true });
const work = mkdtempSync(join(tmpdir(), 'koker-bench-push-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One timed run of `command` against a fresh, empty registry (GNU time: wall, CPU, peak RSS). */
async function timed({ command, prepare }) {
  const target = await fixtureRegistry({ writable: true });
  try {
    if (prepare) execSync(prepare(target), { shell: '/bin/bash', stdio: 'ignore' });
    const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'bash', '-c', command(target)], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (run.status !== 0)
      throw new Error(`${command(target)} failed (${run.status}): ${run.stderr.slice(-800)}`);
    const [wall, user, system, peakKiB] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { wall, user, system, cpu: user + system, peakKiB };
  } finally {
    await target.stop();
  }
}

try {
  const large = largeImageLayout(source);
  const layout = large.dir;

  const root = join(work, 'koker-root');
  execSync(`${KOKER} --root ${root} pull -q ${source.images.large} > /dev/null`, { shell: '/bin/bash' });
  // Each run gets a registry of its own (an empty storage: every blob is sent); the image is
  // tagged for it first, untimed. Paired rounds, the order rotating, one untimed warm-up round.
  const commands = [
    {
      name: 'koker push',
      prepare: (t) => `${KOKER} --root ${root} tag ${source.images.large} ${t.host}/large:bench`,
      command: (t) => `${KOKER} --root ${root} push -q ${t.host}/large:bench > /dev/null`,
    },
    {
      name: 'skopeo copy (OCI layout on disk to the registry)',
      command: (t) =>
        `skopeo --insecure-policy copy -q --dest-tls-verify=false --preserve-digests oci:${layout}:large docker://${t.host}/large:bench`,
    },
  ];
  const rounds = Number(process.env.KOKER_BENCH_RUNS ?? 7);
  const samples = commands.map(() => []);
  for (let round = -1; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const sample = await timed(commands[i]);
      if (round >= 0) samples[i].push(sample);
    }
    if (round >= 0)
      process.stderr.write(
        `round ${round + 1}/${rounds}: ${commands.map((c, i) => `${c.name.split(' (')[0]} ${samples[i].at(-1).wall.toFixed(2)} s`).join(', ')}\n`,
      );
  }
  const rows = commands.map((c, i) => {
    const walls = samples[i].map((x) => x.wall);
    const mean = walls.reduce((a, b) => a + b, 0) / walls.length;
    return {
      name: c.name,
      median: median(walls),
      mean,
      stddev: Math.sqrt(walls.reduce((a, w) => a + (w - mean) ** 2, 0) / walls.length),
      min: Math.min(...walls),
      max: Math.max(...walls),
      cpu: median(samples[i].map((x) => x.cpu)),
      user: samples[i].reduce((a, x) => a + x.user, 0) / walls.length,
      system: samples[i].reduce((a, x) => a + x.system, 0) / walls.length,
      peakRssKiB: median(samples[i].map((x) => x.peakKiB)),
      ratio: median(samples[i].map((x, r) => x.wall / samples[0][r].wall)),
      runs: walls.length,
    };
  });
  const [koker, skopeo] = rows;
  const toSkopeo = 1 / skopeo.ratio;
  writeResults('push', {
    title: `Push of a ${(large.compressedBytes / 1e6).toFixed(0)} MB (compressed, ${large.layers.length} layers) image to an empty loopback registry (${koker.runs} paired rounds)`,
    rows,
    goals: [
      {
        text: `koker push <= skopeo copy (median per-round ratio ${toSkopeo.toFixed(2)}x)`,
        ok: toSkopeo <= 1,
      },
      {
        text: `koker push peak RSS <= 80 MB (median): ${(koker.peakRssKiB / 1024).toFixed(0)} MiB (skopeo copy: ${(skopeo.peakRssKiB / 1024).toFixed(0)} MiB)`,
        ok: koker.peakRssKiB <= CLI_PEAK_RSS_GOAL_KIB,
      },
    ],
    notes: [
      `CPU time (user + system, median): ${rows.map((r) => `${r.name.split(' (')[0]} ${r.cpu.toFixed(2)} s`).join(', ')}; peak RSS (median): ${rows.map((r) => `${r.name.split(' (')[0]} ${(r.peakRssKiB / 1024).toFixed(0)} MiB`).join(', ')}.`,
      `load average at the end: ${loadAverage()} (2 CPUs, shared with other work).`,
      'ratio column: the median over rounds of (command / koker push) in the same round; mean ± σ, min … max are wall times (the tag koker pushes is made before the clock starts).',
      'both send the same stored blobs and manifest (koker from its image store, skopeo from the OCI layout); the registry hashes and writes every byte.',
      'blobs up to 64 MiB go in one PUT (every layer of this image), so no chunks here.',
    ],
  });
} finally {
  await source.stop();
  rmSync(work, { recursive: true, force: true });
}
