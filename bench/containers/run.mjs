// bench/containers: what detached containers cost. With 20 detached busybox containers running:
// `koker ps -a`, `koker inspect`, `koker run -d --rm` (start under a monitor, returns), the
// monitors' memory (each must stay <= 2 MB RSS), against `node -e 0` (the floor of any Node CLI).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KOKER, REPO, compare, ensureApt, writeResults } from '../lib/harness.mjs';

const COUNT = 20;
ensureApt('busybox-static', 'skopeo');
const dir = mkdtempSync(join(tmpdir(), 'koker-bench-containers-'));
const root = join(dir, 'root');
const koker = (...args) => execFileSync(KOKER, ['--root', root, '-q', ...args], { encoding: 'utf8' });
const kokerCommand = (args) => `${KOKER} --root ${root} -q ${args}`;

/** VmRSS and VmHWM (KiB) of every koker-monitor of this root. */
function monitorMemory() {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (
        !cmdline[0]?.endsWith('koker-monitor') ||
        !cmdline.some((a) => a.startsWith(join(root, 'containers')))
      )
        continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      found.push({
        rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]),
        hwm: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]),
      });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

try {
  const archive = join(dir, 'busybox.tar');
  execFileSync('bash', [join(REPO, 'scripts', 'build-busybox-image.sh'), archive], { stdio: 'inherit' });
  koker('load', '-i', archive);
  const ids = [];
  for (let i = 0; i < COUNT; i++)
    ids.push(koker('run', '-d', '--network', 'none', 'busybox', 'sleep', '100000').trim());
  const memory = monitorMemory();
  if (memory.length !== COUNT) throw new Error(`found ${memory.length} monitors, expected ${COUNT}`);
  const rows = compare(
    [
      { name: 'node -e 0', command: `${process.execPath} -e 0` },
      { name: `koker ps -a (${COUNT} containers)`, command: kokerCommand('ps -a') },
      { name: 'koker inspect (one container)', command: kokerCommand(`inspect ${ids[0].slice(0, 12)}`) },
      {
        name: 'koker run -d --rm --network none busybox true',
        command: kokerCommand('run -d --rm --network none busybox true'),
      },
    ],
    { baseline: 'node -e 0', runs: 20, warmup: 3 },
  );
  const sorted = memory.map((m) => m.hwm).sort((a, b) => a - b);
  const maxHwm = sorted[sorted.length - 1];
  const medianRss = memory.map((m) => m.rss).sort((a, b) => a - b)[Math.floor(COUNT / 2)];
  writeResults('containers', {
    title: `Detached containers: ps, inspect, run -d with ${COUNT} running, and the monitors' memory`,
    rows,
    goals: [
      { text: `koker-monitor peak RSS <= 2 MB (largest of ${COUNT}: ${maxHwm} KiB)`, ok: maxHwm <= 2048 },
    ],
    notes: [
      `koker-monitor RSS: median ${medianRss} KiB, peak (VmHWM) at most ${maxHwm} KiB over ${COUNT} monitors`,
      'run -d returns once the container runs; its monitor removes it (--rm) afterwards',
    ],
  });
} finally {
  spawnSync(KOKER, ['--root', root, '-q', 'system', 'prune', '-f']);
  const left = spawnSync(KOKER, ['--root', root, '-q', 'ps', '-aq'], {
    encoding: 'utf8',
  }).stdout;
  if (left.trim()) spawnSync(KOKER, ['--root', root, '-q', 'rm', '-f', ...left.trim().split('\n')]);
  rmSync(dir, { recursive: true, force: true });
}
