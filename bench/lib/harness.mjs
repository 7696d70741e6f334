// The one benchmark harness: every bench/<area>/run.mjs uses it. It times commands with
// hyperfine (warm-up, N runs, median and spread), always side by side with reference tools in
// the same run (this machine is shared and noisy: ratios, not absolute times, are the result),
// and writes bench/results/<area>.json and .md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = join(REPO, 'bench', 'results');
export const KOKER = join(REPO, 'packages', 'cli', 'bin', 'koker');
/** The goal "CLI peak RSS <= 80 MB" (docs/benchmarks.md), in KiB (as every RSS figure here, MB read as MiB). */
export const CLI_PEAK_RSS_GOAL_KIB = 80 * 1024;

/** Installs Debian packages the benchmark compares against, if missing. */
export function ensureApt(...packages) {
  const missing = packages.filter(
    (p) =>
      spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout.includes(
        'ok installed',
      ) === false,
  );
  if (missing.length === 0) return;
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/**
 * Times `commands` ({ name, command, prepare? }, shell strings) in one hyperfine run; `prepare`
 * runs before each timing of its command (warm-ups included) and is not timed.
 * Returns rows with median, mean, stddev, min, max in seconds, and each one's ratio to `baseline`.
 */
export function compare(commands, { runs = 20, warmup = 3, baseline, setup, shell = 'bash' } = {}) {
  ensureApt('hyperfine');
  const dir = mkdtempSync(join(tmpdir(), 'koker-bench-'));
  const json = join(dir, 'out.json');
  const args = [
    '--style',
    'basic',
    '--runs',
    String(runs),
    '--warmup',
    String(warmup),
    '--export-json',
    json,
    '--shell',
    shell,
  ];
  if (setup) args.push('--setup', setup);
  for (const c of commands) {
    if (c.prepare) args.push('--prepare', c.prepare);
    args.push('-n', c.name, c.command);
  }
  try {
    execFileSync('hyperfine', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    const results = JSON.parse(readFileSync(json, 'utf8')).results;
    const rows = results.map((r) => ({
      name: r.command,
      median: r.median,
      mean: r.mean,
      stddev: r.stddev ?? 0,
      min: r.min,
      max: r.max,
      // CPU seconds (mean): on a shared, loaded machine they vary less than wall times.
      user: r.user,
      system: r.system,
      runs: r.times.length,
    }));
    const base = rows.find((r) => r.name === (baseline ?? rows[0].name));
    for (const row of rows) row.ratio = base ? row.median / base.median : undefined;
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak RSS (KiB) of one run of a shell command, from GNU time -v (the command must succeed). */
export function peakRssKiB(command) {
  ensureApt('time');
  const out = spawnSync('/usr/bin/time', ['-v', 'bash', '-c', command], { encoding: 'utf8' });
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(out.stderr);
  if (out.status !== 0 || !match)
    throw new Error(`${command} failed (${out.status}): ${out.stderr.slice(-500)}`);
  return Number(match[1]);
}

/** A memory row: the median, min and max of the peak RSS over `runs` runs of a command. */
export function peakRssRow(name, command, { runs = 5 } = {}) {
  const peaks = Array.from({ length: runs }, () => peakRssKiB(command)).sort((a, b) => a - b);
  return { name, peakKiB: peaks[Math.floor(runs / 2)], minKiB: peaks[0], maxKiB: peaks[runs - 1], runs };
}

/**
 * Runs a benchmark's cleanups last-registered first; a failing one is reported and makes the
 * benchmark exit non-zero, and the others still run (nothing of koker's may be left behind).
 */
export async function runCleanups(cleanups) {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`cleanup failed: ${error.message}`);
      process.exitCode = 1;
    }
  }
}

/** The 1, 5 and 15 minute load averages: how shared the machine was while a benchmark ran. */
export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const fmt = (s) => (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);

const kib = (k) => (k >= 1024 ? `${(k / 1024).toFixed(1)} MiB` : `${k} KiB`);

/** The Markdown table of timing rows (from compare()) or of memory rows ({ name, peakKiB, runs }). */
function table(rows) {
  if (rows.length > 0 && rows.every((r) => r.peakKiB !== undefined)) {
    return [
      '| process | peak RSS (median) | min … max | runs |',
      '| --- | --- | --- | --- |',
      ...rows.map(
        (r) => `| ${r.name} | ${kib(r.peakKiB)} | ${kib(r.minKiB)} … ${kib(r.maxKiB)} | ${r.runs} |`,
      ),
    ];
  }
  return [
    '| command | median | mean ± σ | min … max | ratio | CPU (user + sys, mean) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.median)} | ${fmt(r.mean)} ± ${fmt(r.stddev)} | ${fmt(r.min)} … ${fmt(r.max)} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`} | ${r.user === undefined ? '' : fmt(r.user + r.system)} |`,
    ),
  ];
}

/** A goal's status word: met, not met, or measured elsewhere (ok undefined). */
export function goalStatus(goal, notMet = '**not met**') {
  return goal.ok === undefined ? 'elsewhere' : goal.ok ? 'met' : notMet;
}

/**
 * Writes bench/results/<area>.json and .md; goals are { text, ok } lines shown under the table
 * (ok undefined: a goal measured by another benchmark, named for the summary).
 */
export function writeResults(area, { title, rows, goals = [], notes = [] }) {
  mkdirSync(RESULTS, { recursive: true });
  const result = { area, title, date: new Date().toISOString(), host: hostInfo(), rows, goals, notes };
  writeFileSync(join(RESULTS, `${area}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    `## ${title}`,
    '',
    ...table(rows),
    '',
    ...goals.map((g) => `- ${goalStatus(g, 'NOT met')}: ${g.text}`),
    ...notes.map((n) => `- ${n}`),
    '',
  ];
  writeFileSync(join(RESULTS, `${area}.md`), lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
  return result;
}

function hostInfo() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
  return { kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(), cpu, node: process.version };
}
