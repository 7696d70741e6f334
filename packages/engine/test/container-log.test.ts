import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LogAssembler,
  listLogFiles,
  parseLogRecord,
  readContainerLog,
  type LogLine,
  type LogReadOptions,
} from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koker-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T1 = '2030-01-01T00:00:01.000000001Z';
const T2 = '2030-01-01T00:00:02.000000002Z';
const cri = (time: string, stream: string, flag: string, text: string) =>
  `${time} ${stream} ${flag} ${text}\n`;
const json = (time: string, stream: string, log: string) => `${JSON.stringify({ log, stream, time })}\n`;

async function all(options: LogReadOptions = {}): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of readContainerLog(dir, options)) lines.push(line);
  return lines;
}
const texts = (lines: LogLine[]) => lines.map((l) => l.text).join('');

describe('log records', () => {
  it('parses both formats, a fragment being a record without its line end', () => {
    expect(parseLogRecord('local', `${T1} stdout P hel`)).toEqual({
      time: T1,
      stream: 'stdout',
      text: 'hel',
      complete: false,
    });
    expect(parseLogRecord('json-file', json(T1, 'stderr', 'a\tb\n').trim())).toEqual({
      time: T1,
      stream: 'stderr',
      text: 'a\tb',
      complete: true,
    });
    expect(parseLogRecord('json-file', '{"log":1}')).toBeUndefined();
    expect(parseLogRecord('local', 'not a record')).toBeUndefined();
  });

  it('joins fragments per stream and keeps the streams apart', () => {
    const a = new LogAssembler();
    const push = (line: string) => a.push(parseLogRecord('local', line.trimEnd()));
    expect(push(cri(T1, 'stdout', 'P', 'hel'))).toBeUndefined();
    expect(push(cri(T1, 'stderr', 'F', 'oops'))).toEqual({ time: T1, stream: 'stderr', text: 'oops\n' });
    expect(push(cri(T2, 'stdout', 'F', 'lo world'))).toEqual({
      time: T1,
      stream: 'stdout',
      text: 'hello world\n',
    });
    expect(push(cri(T2, 'stdout', 'P', 'no newline at the end'))).toBeUndefined();
    expect(a.flush()).toEqual([{ time: T2, stream: 'stdout', text: 'no newline at the end' }]);
  });
});

describe('reading a container log', () => {
  it('reads the rotated files oldest first, ignoring a record still being written', async () => {
    await writeFile(join(dir, 'container-json.log.2'), json(T1, 'stdout', 'one\n'));
    await writeFile(join(dir, 'container-json.log.1'), json(T1, 'stdout', 'tw'));
    await writeFile(
      join(dir, 'container-json.log'),
      json(T2, 'stdout', 'o\n') + json(T2, 'stderr', 'end') + '{"log":"partial',
    );
    expect(await listLogFiles(dir)).toEqual({
      format: 'json-file',
      current: 'container-json.log',
      names: ['container-json.log.2', 'container-json.log.1', 'container-json.log'],
    });
    expect(await all()).toEqual([
      { time: T1, stream: 'stdout', text: 'one\n' },
      { time: T1, stream: 'stdout', text: 'two\n' },
      { time: T2, stream: 'stderr', text: 'end' },
    ]);
  });

  it('is empty without a log', async () => {
    expect(await all()).toEqual([]);
    expect(await all({ tail: 3 })).toEqual([]);
  });

  it('--tail reads from the end, across files and chunks', async () => {
    const line = (i: number) => json(T1, 'stdout', `line ${i} ${'x'.repeat(i % 300)}\n`);
    let old = '';
    for (let i = 0; i < 500; i++) old += line(i);
    let current = '';
    for (let i = 500; i < 2000; i++) current += line(i);
    await writeFile(join(dir, 'container-json.log.1'), old);
    await writeFile(join(dir, 'container-json.log'), current);
    const expected = (from: number) =>
      Array.from(
        { length: 2000 - from },
        (_, k) => `line ${from + k} ${'x'.repeat((from + k) % 300)}\n`,
      ).join('');
    expect(texts(await all({ tail: 3 }))).toBe(expected(1997));
    expect(texts(await all({ tail: 1600 }))).toBe(expected(400));
    expect(texts(await all({ tail: 5000 }))).toBe(expected(0));
    expect(await all({ tail: 0 })).toEqual([]);
  });

  it('--tail counts a line split in fragments once, and a last fragment as a line', async () => {
    await writeFile(
      join(dir, 'container.log'),
      cri(T1, 'stdout', 'F', 'a') +
        cri(T1, 'stdout', 'P', 'b1') +
        cri(T1, 'stdout', 'F', 'b2') +
        cri(T2, 'stdout', 'P', 'c'),
    );
    expect(texts(await all({ tail: 2 }))).toBe('b1b2\nc');
  });

  it('--since and --until keep the lines between', async () => {
    await writeFile(
      join(dir, 'container-json.log'),
      json(T1, 'stdout', 'early\n') +
        json(T2, 'stdout', 'late\n') +
        json('2030-01-01T00:00:03Z', 'stdout', 'later\n'),
    );
    const at = (s: string) => BigInt(Date.parse(s)) * 1_000_000n;
    expect(texts(await all({ since: at('2030-01-01T00:00:02Z') }))).toBe('late\nlater\n');
    expect(texts(await all({ until: at('2030-01-01T00:00:02.5Z') }))).toBe('early\nlate\n');
  });

  it('follows the log across a rotation until it ended', async () => {
    const path = join(dir, 'container-json.log');
    await writeFile(path, json(T1, 'stdout', 'first\n'));
    let over = false;
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of readContainerLog(dir, { follow: { ended: () => over, pollMs: 10 } }))
        seen.push(line.text);
    })();
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(path, json(T1, 'stdout', 'before rotation\n'));
    await rename(path, `${path}.1`);
    await writeFile(path, json(T2, 'stdout', 'after rotation\n'));
    await new Promise((r) => setTimeout(r, 80));
    await appendFile(path, json(T2, 'stdout', 'no end'));
    over = true;
    await following;
    expect(seen).toEqual(['first\n', 'before rotation\n', 'after rotation\n', 'no end']);
  });
});
