// A run from a resident process: koker's CLI code loaded once in this Node process, then
// `run --rm --network none busybox true` RUNS times through the same main() the command uses,
// so no Node start and no code loading is in the times. Prints the times (ms) as JSON.
//   node bench/start/resident.mjs CONFIG ROOT [RUNS]   (bench/start/run.mjs runs it)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../lib/harness.mjs';

const [config, root, runs = '20'] = process.argv.slice(2);
process.env.KOKER_CONFIG = config;
const { main } = await import(pathToFileURL(join(REPO, 'packages', 'cli', 'dist', 'main.js')).href);
const argv = ['--root', root, '-q', 'run', '--rm', '--network', 'none', 'busybox', 'true'];
const times = [];
for (let i = -2; i < Number(runs); i++) {
  const start = process.hrtime.bigint();
  const code = await main(argv);
  if (code !== 0) throw new Error(`run ${i} exited ${code}`);
  if (i >= 0) times.push(Number(process.hrtime.bigint() - start) / 1e6); // two warm-up runs
}
process.stdout.write(`${JSON.stringify(times)}\n`);
process.exit(0);
