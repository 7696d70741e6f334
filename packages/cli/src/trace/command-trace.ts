import { performance } from 'node:perf_hooks';
import { useTracer } from '@koker/core';
import { ChromeTrace } from './chrome-trace.js';

/**
 * `--trace FILE` (run, create, start) and `KOKER_TRACE=FILE` (any command): this invocation's
 * spans, written to FILE as Chrome trace-event JSON when the command ends. Every invocation
 * takes two clock readings (main's start, the command line built), so a trace turned on by a
 * command's own flag still begins with Node's start.
 */
const marks: { main?: bigint; program?: bigint } = {};
let active: { file: string; trace: ChromeTrace } | undefined;

export function markMainStart(): void {
  marks.main = process.hrtime.bigint();
}

export function markProgramBuilt(): void {
  marks.program = process.hrtime.bigint();
}

/** Starts recording into `file` (a later call only changes the file: --trace over KOKER_TRACE). */
export function traceTo(file: string): void {
  if (active) {
    active.file = file;
    return;
  }
  const trace = new ChromeTrace({ pid: process.pid, name: 'koker' });
  useTracer(trace);
  active = { file, trace };
}

/** Writes the trace, if one was started: the process's own spans around what the steps recorded. */
export function finishTrace(argv: readonly string[]): void {
  if (!active) return;
  const { file, trace } = active;
  active = undefined;
  const end = process.hrtime.bigint();
  // Node's performance clock starts with the process; hrtime is CLOCK_MONOTONIC.
  const origin = end - BigInt(Math.round(performance.now() * 1e6));
  const main = marks.main ?? origin;
  trace.record({ name: `koker ${argv.join(' ')}`.slice(0, 200), start: origin, end, args: { argv } });
  trace.record({ name: 'node start', start: origin, end: main });
  if (marks.program) trace.record({ name: 'load command', start: main, end: marks.program });
  try {
    trace.write(file);
  } catch (error) {
    process.stderr.write(`koker: cannot write the trace to ${file}: ${(error as Error).message}\n`);
  }
}
