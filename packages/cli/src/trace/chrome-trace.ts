import { writeFileSync } from 'node:fs';
import { type RecordedSpan, type Tracer, type TraceSpan } from '@koker/core';

/** One complete event of Chrome's trace-event format (what Perfetto and chrome://tracing load). */
export interface TraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'X' | 'M';
  /** Microseconds on CLOCK_MONOTONIC. */
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: Readonly<Record<string, unknown>>;
}

const micros = (ns: bigint): number => Number(ns) / 1000;

/**
 * A Tracer that keeps every span of this process and writes them as Chrome trace-event JSON
 * (`{"traceEvents": [...]}`, complete `X` events, µs): koker's own steps on its main thread,
 * other processes' steps (koker-init's) on a thread named for them.
 */
export class ChromeTrace implements Tracer {
  readonly enabled = true;
  private readonly events: TraceEvent[] = [];
  private readonly threads = new Map<number, string>();

  constructor(
    private readonly process: { readonly pid: number; readonly name: string },
    private readonly now: () => bigint = () => globalThis.process.hrtime.bigint(),
  ) {
    this.threads.set(process.pid, process.name);
  }

  begin(name: string, args?: Readonly<Record<string, unknown>>): TraceSpan {
    const start = this.now();
    let ended = false;
    return {
      end: (more) => {
        if (ended) return;
        ended = true;
        this.record({
          name,
          start,
          end: this.now(),
          ...(args || more ? { args: { ...args, ...more } } : {}),
        });
      },
    };
  }

  record(span: RecordedSpan): void {
    const tid = span.thread?.id ?? this.process.pid;
    if (span.thread) this.threads.set(tid, span.thread.name);
    this.events.push({
      name: span.name,
      cat: 'koker',
      ph: 'X',
      ts: micros(span.start),
      dur: Math.max(0, micros(span.end - span.start)),
      pid: this.process.pid,
      tid,
      ...(span.args ? { args: span.args } : {}),
    });
  }

  /** The trace as Chrome's JSON object: names of the process and threads, then the spans by start. */
  toJSON(): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms' } {
    const pid = this.process.pid;
    const names: TraceEvent[] = [
      {
        name: 'process_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid,
        tid: pid,
        args: { name: this.process.name },
      },
      ...[...this.threads].map(([tid, name]): TraceEvent => ({
        name: 'thread_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid,
        tid,
        args: { name },
      })),
    ];
    // Parents first where two start together (longer first), as the viewers nest them.
    const spans = [...this.events].sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
    return { traceEvents: [...names, ...spans], displayTimeUnit: 'ms' };
  }

  write(file: string): void {
    writeFileSync(file, `${JSON.stringify(this.toJSON())}\n`);
  }
}
