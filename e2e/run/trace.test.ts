import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { koker } from '../helpers/koker.js';
import { releaseKokerRoot } from '../helpers/koker-root.js';

// `--trace FILE` and KOKER_TRACE: a real run's steps as Chrome trace-event JSON.
let registry: FixtureRegistry;
let root: string;
let traces: string;
let image: string;
beforeAll(async () => {
  registry = await fixtureRegistry();
  image = registry.images.busybox;
  root = mkdtempSync(join(tmpdir(), 'koker-e2e-trace-'));
  traces = mkdtempSync(join(tmpdir(), 'koker-e2e-trace-files-'));
  expect((await koker(['--root', root, 'pull', image])).code).toBe(0);
});
afterAll(async () => {
  await registry?.stop();
  if (root) await releaseKokerRoot(root);
  if (traces) rmSync(traces, { recursive: true, force: true });
});

interface Span {
  readonly name: string;
  readonly ph: string;
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: Record<string, unknown>;
}

function readTrace(file: string): { spans: Span[]; threads: Map<number, string> } {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: Span[] };
  const threads = new Map<number, string>();
  for (const event of json.traceEvents)
    if (event.ph === 'M' && event.name === 'thread_name') threads.set(event.tid, String(event.args?.name));
  const spans = json.traceEvents.filter((e) => e.ph === 'X');
  for (const span of spans) {
    expect(Number.isFinite(span.ts) && Number.isFinite(span.dur) && span.dur >= 0, span.name).toBe(true);
    expect(Number.isInteger(span.pid) && Number.isInteger(span.tid), span.name).toBe(true);
  }
  return { spans, threads };
}

const one = (spans: Span[], name: string): Span => {
  const found = spans.filter((s) => s.name === name);
  expect(
    found.map((s) => s.name),
    `one span named ${name}`,
  ).toEqual([name]);
  return found[0] as Span;
};

/** `child` lies within `parent` (a µs of slack for the rounding of two clocks' readings). */
function expectInside(child: Span, parent: Span): void {
  expect(child.ts, `${child.name} starts inside ${parent.name}`).toBeGreaterThanOrEqual(parent.ts - 1);
  expect(child.ts + child.dur, `${child.name} ends inside ${parent.name}`).toBeLessThanOrEqual(
    parent.ts + parent.dur + 1,
  );
}

describe('koker run --trace', () => {
  it("writes every step of a run, koker-init's inside the launch, each inside its parent", async () => {
    const file = join(traces, 'run.json');
    const result = await koker([
      '--root',
      root,
      'run',
      '--trace',
      file,
      '--rm',
      '--network',
      'none',
      image,
      'true',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const { spans, threads } = readTrace(file);
    const whole = spans.find((s) => s.name.startsWith('koker ') && s.name.includes(' run ')) as Span;
    expect(whole).toBeDefined();
    for (const span of spans) expectInside(span, whole);

    const names = new Set(spans.map((s) => s.name));
    for (const name of [
      'node start',
      'load command',
      'image lookup',
      'drivers',
      'record',
      'prepare',
      'rootfs',
      'cgroups',
      'network',
      'launch',
      'spawn the native helper',
      'Read plan',
      'Call syscall pivot_root',
      'Execute command',
      'wait',
      'teardown',
      'release cgroups',
      'release rootfs',
      'release network',
    ])
      expect(names, name).toContain(name);
    expect([...names].some((n) => n.startsWith('Call syscall clone CLONE_NEWNS'))).toBe(true);

    const prepare = one(spans, 'prepare');
    for (const step of ['rootfs', 'cgroups', 'network']) expectInside(one(spans, step), prepare);
    expectInside(prepare, one(spans, 'start under the monitor'));
    const teardown = one(spans, 'teardown');
    for (const step of ['release cgroups', 'release rootfs', 'release network'])
      expectInside(one(spans, step), teardown);
    expect(one(spans, 'teardown').ts).toBeGreaterThanOrEqual(
      one(spans, 'launch').ts + one(spans, 'launch').dur,
    );

    // koker-init's steps: on a thread of their own, all inside the launch, one after another.
    const launch = one(spans, 'launch');
    const native = spans.filter((s) => threads.get(s.tid) === 'koker-init');
    expect(native.length).toBeGreaterThan(20);
    expect(native.map((s) => s.name)).toContain('Mount target');
    expect(native.find((s) => s.name === 'Mount target' && s.args?.target === '/proc')).toBeDefined();
    for (const step of native) expectInside(step, launch);
    expectInside(one(spans, 'spawn the native helper'), launch);
    for (let i = 1; i < native.length; i++)
      expect(native[i]!.ts).toBeGreaterThanOrEqual(native[i - 1]!.ts + native[i - 1]!.dur - 1);
  });

  it('traces any command with KOKER_TRACE, and create and start with --trace', async () => {
    const listed = join(traces, 'images.json');
    expect((await koker(['--root', root, 'images'], { env: { KOKER_TRACE: listed } })).code).toBe(0);
    const names = readTrace(listed).spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['node start', 'load command']));

    const created = join(traces, 'create.json');
    const create = await koker([
      '--root',
      root,
      'create',
      '--trace',
      created,
      '--network',
      'none',
      image,
      'true',
    ]);
    expect(create.code, create.stderr).toBe(0);
    const id = create.stdout.trim();
    expect(readTrace(created).spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['image lookup', 'record']),
    );

    const started = join(traces, 'start.json');
    const start = await koker(['--root', root, 'start', '-a', '--trace', started, id]);
    expect(start.code, start.stderr).toBe(0);
    const { spans, threads } = readTrace(started);
    expect(spans.some((s) => threads.get(s.tid) === 'koker-init' && s.name === 'Execute command')).toBe(true);
    expect((await koker(['--root', root, 'rm', id])).code).toBe(0);
  });

  it('says so when the trace cannot be written, and the run still succeeds', async () => {
    const result = await koker([
      '--root',
      root,
      'run',
      '--trace',
      '/nonexistent-dir/t.json',
      '--rm',
      '--network',
      'none',
      image,
      'true',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('koker: cannot write the trace to /nonexistent-dir/t.json');
  });
});
