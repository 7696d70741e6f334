/**
 * Where koker's steps report how long they took, for `koker run --trace FILE` (and `KOKER_TRACE`).
 * Times are CLOCK_MONOTONIC nanoseconds: process.hrtime.bigint() here, clock_gettime in koker's
 * native helpers, so their steps line up with the TypeScript ones.
 *
 * One tracer per process (a trace is one process's timeline), reached through tracer(): no step
 * needs one passed in, and while tracing is off it is a constant object whose calls do nothing.
 */
export interface Tracer {
  /** False when nothing is recorded: a caller skips building what only a span would use. */
  readonly enabled: boolean;
  /** A span from now until its end(). */
  begin(name: string, args?: Readonly<Record<string, unknown>>): TraceSpan;
  /** A span whose times are known already: another process's step (`thread` names that process). */
  record(span: RecordedSpan): void;
}

export interface TraceSpan {
  end(args?: Readonly<Record<string, unknown>>): void;
}

export interface RecordedSpan {
  readonly name: string;
  /** CLOCK_MONOTONIC nanoseconds. */
  readonly start: bigint;
  readonly end: bigint;
  readonly args?: Readonly<Record<string, unknown>>;
  /** The process it ran in (koker-init's, say); koker's own when left out. */
  readonly thread?: { readonly name: string; readonly id: number };
}

const NO_SPAN: TraceSpan = { end: () => undefined };

/** The tracer while tracing is off. */
export const noTracer: Tracer = {
  enabled: false,
  begin: () => NO_SPAN,
  record: () => undefined,
};

let current: Tracer = noTracer;

/** This process's tracer (noTracer unless a command turned tracing on). */
export function tracer(): Tracer {
  return current;
}

/** Makes `next` this process's tracer; returns the one it replaces. */
export function useTracer(next: Tracer): Tracer {
  const previous = current;
  current = next;
  return previous;
}

/** Runs `work` inside a span named `name` (ended however it ends); just `work()` when tracing is off. */
export async function traced<T>(
  name: string,
  work: () => Promise<T>,
  args?: Readonly<Record<string, unknown>>,
): Promise<T> {
  if (!current.enabled) return work();
  const span = current.begin(name, args);
  try {
    return await work();
  } finally {
    span.end();
  }
}
