import { leaksBetween, snapshotHost, type HostSnapshot } from './host-leaks.js';

let before: HostSnapshot;

/** The suite runs as root on a real kernel, and must leave the host as it found it. */
export function setup(): void {
  if (process.geteuid?.() !== 0) throw new Error('the e2e suite needs root: run it with sudo (see README)');
  before = snapshotHost();
}

export function teardown(): void {
  const leaks = leaksBetween(before, snapshotHost());
  if (leaks.length > 0) {
    // Vitest reports an error thrown here but keeps the run's exit code: set it, so a leak fails CI.
    process.exitCode = 1;
    throw new Error(`the e2e suite left these on the host:\n  ${leaks.join('\n  ')}`);
  }
}
