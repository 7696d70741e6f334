// `npm run bench`: runs every bench/<area>/run.mjs (or only those named on the command line),
// then joins their Markdown into bench/results/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, RESULTS } from './lib/harness.mjs';

const only = process.argv.slice(2);
const areas = readdirSync(join(REPO, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(REPO, 'bench', d.name, 'run.mjs')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name));
const failed = [];
for (const area of areas) {
  process.stdout.write(`\n# bench/${area}\n`);
  try {
    execFileSync(process.execPath, [join(REPO, 'bench', area, 'run.mjs')], { stdio: 'inherit' });
  } catch {
    failed.push(area);
  }
}
const parts = areas
  .filter((a) => existsSync(join(RESULTS, `${a}.md`)))
  .map((a) => readFileSync(join(RESULTS, `${a}.md`), 'utf8'));
writeFileSync(
  join(RESULTS, 'README.md'),
  `# Latest benchmark results\n\nMade by \`npm run bench\`; see docs/benchmarks.md.\n\n${parts.join('\n')}`,
);
if (failed.length) {
  process.stderr.write(`benchmarks failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
