// `npm run bench [area...]`: runs every bench/<area>/run.mjs (or only those named), then joins
// every result into bench/results/README.md and the summary of goals in docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, RESULTS, goalStatus } from './lib/harness.mjs';

// The benchmarks of docs/benchmarks.md's goals first, then the per-area ones.
const ORDER = [
  'start',
  'start-bridge',
  'start-resident',
  'start-security',
  'pull',
  'extract',
  'parallel',
  'memory',
  'containers',
  'net',
  'cgroups',
  'runtime',
  'api',
];
const rank = (name) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);

const only = process.argv.slice(2);
const areas = readdirSync(join(REPO, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(REPO, 'bench', d.name, 'run.mjs')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const failed = [];
for (const area of areas) {
  process.stdout.write(`\n# bench/${area}\n`);
  try {
    execFileSync(process.execPath, [join(REPO, 'bench', area, 'run.mjs')], { stdio: 'inherit' });
  } catch {
    failed.push(area);
  }
}

// Every result on disk (an area may write several, e.g. start and start-bridge).
const results = readdirSync(RESULTS)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')))
  .filter((r) => r.area && r.title && Array.isArray(r.rows))
  .sort((a, b) => rank(a.area) - rank(b.area) || a.area.localeCompare(b.area));
const parts = results
  .filter((r) => existsSync(join(RESULTS, `${r.area}.md`)))
  .map((r) => readFileSync(join(RESULTS, `${r.area}.md`), 'utf8'));
writeFileSync(
  join(RESULTS, 'README.md'),
  `# Latest benchmark results\n\nMade by \`npm run bench\`; see docs/benchmarks.md for what each figure means.\n\n${parts.join('\n')}`,
);

// docs/benchmarks.md: the goals of every result, between markers.
const docs = join(REPO, 'docs', 'benchmarks.md');
if (existsSync(docs)) {
  const summary = [
    '<!-- results:start (written by npm run bench) -->',
    '| benchmark | goal | measured | date |',
    '| --- | --- | --- | --- |',
    ...results.flatMap((r) =>
      r.goals.map(
        (g) =>
          `| ${r.area} | ${goalStatus(g)} | ${g.text.replace(/\|/g, '\\|')} | ${r.date.slice(0, 16).replace('T', ' ')} |`,
      ),
    ),
    '<!-- results:end -->',
  ].join('\n');
  const text = readFileSync(docs, 'utf8');
  writeFileSync(docs, text.replace(/<!-- results:start[^]*?<!-- results:end -->/, summary));
}
if (failed.length) {
  process.stderr.write(`benchmarks failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
