/**
 * A test hook for crash recovery: with `KOKER_CRASH_AT=<step>` in its environment, koker kills
 * itself with SIGKILL when it reaches that step, leaving exactly what a crash there would. The
 * end-to-end tests use it to prove that the next command (and `system prune`) cleans up after a
 * crash at every step of a run, a teardown or a `network create`. Costs one environment lookup
 * otherwise.
 */
export function crashPoint(step: string): void {
  if (process.env.KOKER_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}
