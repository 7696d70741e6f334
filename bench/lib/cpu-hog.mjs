// A CPU hog for the benchmarks' "under load" runs: a busy loop pinned to one CPU (taskset), so the
// commands compared share the machine with work that never yields, as on a busy build host.
import { spawn } from 'node:child_process';
import { ensureApt } from './harness.mjs';

/** Starts the hog on `cpu` (default 0); returns stop(), which ends it (and only it). */
export function startCpuHog(cpu = 0) {
  ensureApt('util-linux');
  const hog = spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'for (;;);'], {
    stdio: 'ignore',
  });
  return {
    description: `a busy loop pinned to CPU ${cpu}`,
    stop: () =>
      new Promise((resolve) => {
        if (hog.exitCode !== null || hog.signalCode !== null) return resolve();
        hog.once('exit', () => resolve());
        hog.kill('SIGKILL');
      }),
  };
}
