// Paired rounds, for a shared machine whose load drifts: hyperfine runs all of one command's
// runs, then all of the next one's, so a load change between them shows up as a ratio. Here each
// round runs every command once, back to back (the order rotates every round), the ratio to the
// baseline is taken per round, and the medians are reported: wall, CPU (user + system, children
// included) and peak RSS (GNU time), in the rows writeResults() prints.
import { execSync, spawnSync } from 'node:child_process';
import { ensureApt } from './harness.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs `commands` ({ name, command, prepare? }, bash strings; `prepare` is not timed) for
 * `rounds` rounds after one untimed warm-up round. Rows: median, mean, stddev, min, max (wall,
 * seconds), cpu (median, seconds), user and system (means), peakRssKiB (median; minRssKiB and maxRssKiB), ratio (median of the per-round ratios to
 * `baseline`, the first command by default), runs.
 */
export function paired(commands, { rounds = 7, baseline, log = true } = {}) {
  ensureApt('time');
  const samples = commands.map(() => []);
  for (let round = -1; round < rounds; round++) {
    const shift = ((round % commands.length) + commands.length) % commands.length;
    const order = commands.map((_, i) => (i + shift) % commands.length);
    for (const i of order) {
      const c = commands[i];
      if (c.prepare) execSync(c.prepare, { shell: '/bin/bash', stdio: 'ignore' });
      const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'bash', '-c', c.command], {
        encoding: 'utf8',
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (run.status !== 0) throw new Error(`${c.name} failed (${run.status}): ${run.stderr.slice(-800)}`);
      const [wall, user, system, peakKiB] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
      if (round >= 0) samples[i].push({ wall, user, system, cpu: user + system, peakKiB });
    }
    if (log && round >= 0) {
      process.stderr.write(
        `round ${round + 1}/${rounds}: ${commands.map((c, i) => `${c.name.split(' (')[0]} ${samples[i].at(-1).wall.toFixed(2)} s`).join(', ')}\n`,
      );
    }
  }
  const base = Math.max(
    0,
    commands.findIndex((c) => c.name === baseline),
  );
  return commands.map((c, i) => {
    const walls = samples[i].map((s) => s.wall);
    const mean = walls.reduce((a, b) => a + b, 0) / walls.length;
    return {
      name: c.name,
      median: median(walls),
      mean,
      stddev: Math.sqrt(walls.reduce((a, w) => a + (w - mean) ** 2, 0) / walls.length),
      min: Math.min(...walls),
      max: Math.max(...walls),
      cpu: median(samples[i].map((s) => s.cpu)),
      // Means, as hyperfine's rows have them (the harness' CPU column).
      user: samples[i].reduce((a, s) => a + s.user, 0) / walls.length,
      system: samples[i].reduce((a, s) => a + s.system, 0) / walls.length,
      peakKiB: undefined,
      peakRssKiB: median(samples[i].map((s) => s.peakKiB)),
      minRssKiB: Math.min(...samples[i].map((s) => s.peakKiB)),
      maxRssKiB: Math.max(...samples[i].map((s) => s.peakKiB)),
      ratio: median(samples[i].map((s, r) => s.wall / samples[base][r].wall)),
      cpuRatio: median(samples[i].map((s, r) => s.cpu / samples[base][r].cpu)),
      runs: walls.length,
      paired: true,
    };
  });
}
