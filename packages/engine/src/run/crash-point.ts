/**
 * A test hook for crash recovery: with `KOKER_CRASH_AT=<step>` in its environment, koker kills
 * itself with SIGKILL when it reaches that step, leaving exactly what a crash there would. The
 * end-to-end tests use it to prove that the next command (and `system prune`) cleans up after a
 * crash at every step of a run and of a teardown. Costs one environment lookup otherwise.
 */
export function crashPoint(step: string): void {
  if (process.env.KOKER_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

/**
 * A test hook for races: with `KOKER_PAUSE_AT=<step>:<ms>` in its environment, koker waits that
 * long at that step, so a test can run a second command at a chosen moment of the first (a
 * `volume rm` while a run holds a new volume it has not started a container on yet).
 */
export async function pausePoint(step: string): Promise<void> {
  const asked = process.env.KOKER_PAUSE_AT;
  if (!asked?.startsWith(`${step}:`)) return;
  const ms = Number(asked.slice(step.length + 1));
  if (Number.isFinite(ms) && ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}
