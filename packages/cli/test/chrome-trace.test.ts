import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noTracer, traced, tracer, useTracer } from '@koker/core';
import { ChromeTrace, type TraceEvent } from '../src/trace/chrome-trace.js';

/** A clock the test moves: nanoseconds. */
function clock(start: bigint) {
  let now = start;
  return { now: () => now, advance: (ns: bigint) => void (now += ns) };
}

const spans = (trace: ChromeTrace): TraceEvent[] => trace.toJSON().traceEvents.filter((e) => e.ph === 'X');

describe("the trace of koker's steps (Chrome trace-event JSON)", () => {
  afterEach(() => {
    useTracer(noTracer);
  });

  it('writes complete events in microseconds, with the process and thread named', () => {
    const time = clock(5_000_000n);
    const trace = new ChromeTrace({ pid: 42, name: 'koker' }, time.now);
    const span = trace.begin('record', { container: 'abc' });
    time.advance(1_500_000n);
    span.end({ status: 'created' });
    span.end(); // once only
    trace.record({
      name: 'Mount target',
      start: 5_200_000n,
      end: 5_300_000n,
      thread: { name: 'koker-init', id: 77 },
    });
    expect(trace.toJSON()).toEqual({
      displayTimeUnit: 'ms',
      traceEvents: [
        {
          name: 'process_name',
          cat: '__metadata',
          ph: 'M',
          ts: 0,
          pid: 42,
          tid: 42,
          args: { name: 'koker' },
        },
        { name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: 42, tid: 42, args: { name: 'koker' } },
        {
          name: 'thread_name',
          cat: '__metadata',
          ph: 'M',
          ts: 0,
          pid: 42,
          tid: 77,
          args: { name: 'koker-init' },
        },
        {
          name: 'record',
          cat: 'koker',
          ph: 'X',
          ts: 5000,
          dur: 1500,
          pid: 42,
          tid: 42,
          args: { container: 'abc', status: 'created' },
        },
        { name: 'Mount target', cat: 'koker', ph: 'X', ts: 5200, dur: 100, pid: 42, tid: 77 },
      ],
    });
  });

  it('orders spans by start, a parent before the child that starts with it', () => {
    const trace = new ChromeTrace({ pid: 1, name: 'koker' });
    trace.record({ name: 'child', start: 2000n, end: 3000n });
    trace.record({ name: 'later', start: 9000n, end: 9500n });
    trace.record({ name: 'parent', start: 2000n, end: 8000n });
    expect(spans(trace).map((e) => e.name)).toEqual(['parent', 'child', 'later']);
  });

  it('nests traced() steps inside each other, also when a step fails', async () => {
    const trace = new ChromeTrace({ pid: 1, name: 'koker' });
    useTracer(trace);
    await traced('outer', async () => {
      await traced('inner', async () => undefined);
      await expect(traced('failing', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    });
    const [outer, inner, failing] = spans(trace);
    expect([outer?.name, inner?.name, failing?.name]).toEqual(['outer', 'inner', 'failing']);
    for (const child of [inner, failing] as TraceEvent[]) {
      expect(child.ts).toBeGreaterThanOrEqual(outer!.ts);
      expect(child.ts + child.dur!).toBeLessThanOrEqual(outer!.ts + outer!.dur!);
    }
  });

  it('records nothing while tracing is off', async () => {
    expect(tracer()).toBe(noTracer);
    expect(tracer().enabled).toBe(false);
    expect(await traced('step', async () => 7)).toBe(7);
    tracer().begin('x').end();
  });

  it('writes a file JSON.parse reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-trace-test-'));
    try {
      const trace = new ChromeTrace({ pid: 3, name: 'koker' });
      trace.record({ name: 'a "quoted"\nname', start: 1n, end: 2n, args: { path: '/x\ty' } });
      trace.write(join(dir, 'trace.json'));
      const read = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as { traceEvents: TraceEvent[] };
      expect(read.traceEvents.at(-1)).toMatchObject({ name: 'a "quoted"\nname', args: { path: '/x\ty' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
