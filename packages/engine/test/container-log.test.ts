import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogAssembler, followContainerLog, readContainerLog, type LogLine } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koker-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T1 = '2030-01-01T00:00:01.000000001Z';
const T2 = '2030-01-01T00:00:02.000000002Z';

describe('the CRI log of a container', () => {
  it('joins partial records per stream and keeps the streams apart', () => {
    const a = new LogAssembler();
    expect(a.push(`${T1} stdout P hel`)).toBeUndefined();
    expect(a.push(`${T1} stderr F oops`)).toEqual({ time: T1, stream: 'stderr', text: 'oops\n' });
    expect(a.push(`${T2} stdout F lo world`)).toEqual({ time: T1, stream: 'stdout', text: 'hello world\n' });
    expect(a.push(`${T2} stdout F `)).toEqual({ time: T2, stream: 'stdout', text: '\n' });
    expect(a.push('not a record')).toBeUndefined();
    expect(a.push(`${T2} stdout P no newline at the end`)).toBeUndefined();
    expect(a.flush()).toEqual([{ time: T2, stream: 'stdout', text: 'no newline at the end' }]);
  });

  it('reads a log, ignoring a record still being written, and completes on request', async () => {
    await writeFile(
      join(dir, 'container.log'),
      `${T1} stdout F one\n${T1} stderr F two\n${T2} stdout P thr\n${T2} stdout P ee-unfinish`,
    );
    const partial = await readContainerLog(dir);
    expect(partial.lines.map((l) => l.text)).toEqual(['one\n', 'two\n']);
    const complete = await readContainerLog(dir, { complete: true });
    expect(complete.lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'two\n'],
      ['stdout', 'thr'],
    ]);
    expect((await readContainerLog(join(dir, 'nope'))).lines).toEqual([]);
  });

  it('follows new lines until the container has ended', async () => {
    const path = join(dir, 'container.log');
    await writeFile(path, `${T1} stdout F first\n`);
    const start = await readContainerLog(dir);
    let over = false;
    const seen: LogLine[] = [];
    const following = (async () => {
      for await (const line of followContainerLog(dir, start, () => over)) seen.push(line);
    })();
    await appendFile(path, `${T2} stderr F second\n${T2} stdout F par`);
    await new Promise((r) => setTimeout(r, 250));
    await appendFile(path, `tial\n${T2} stdout P tail\n`);
    over = true;
    await following;
    expect(seen.map((l) => [l.stream, l.text])).toEqual([
      ['stderr', 'second\n'],
      ['stdout', 'partial\n'],
      ['stdout', 'tail'],
    ]);
  });
});
