import { describe, expect, it } from 'vitest';
import { createLogger, formatConsoleLine } from '../src/index.js';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const at = (h: number, m: number) => new Date(2026, 0, 1, h, m).getTime();

describe("the Go koker's console log style", () => {
  it('prints kitchen time, a three-letter level, the message and sorted fields', () => {
    const line = formatConsoleLine(
      { level: 20, time: at(11, 8), msg: 'Setup virtual ethernet', virt: 'veth0_a', peer: 'veth1_a' },
      false,
    );
    expect(line).toBe('11:08AM DBG Setup virtual ethernet peer=veth1_a virt=veth0_a\n');
  });

  it("shows a step's duration at the end of its line", () => {
    const line = (durationMs: number) =>
      formatConsoleLine(
        { level: 20, time: at(11, 8), msg: 'Mount target', target: '/proc', durationMs },
        false,
      );
    expect(line(0.4213)).toBe('11:08AM DBG Mount target target=/proc (0.42ms)\n');
    expect(line(12.345)).toBe('11:08AM DBG Mount target target=/proc (12.3ms)\n');
  });

  it('quotes values with spaces and shows errors by message', () => {
    const line = formatConsoleLine(
      { level: 50, time: at(21, 20), msg: 'Something went wrong', err: { message: 'signal: killed' } },
      false,
    );
    expect(line).toBe('9:20PM ERR Something went wrong error="signal: killed"\n');
    expect(formatConsoleLine({ level: 30, time: at(0, 5), msg: 'x', n: 3 }, false)).toBe(
      '12:05AM INF x n=3\n',
    );
  });

  it('colours only when asked', () => {
    expect(formatConsoleLine({ level: 30, time: at(1, 0), msg: 'hi' }, true)).toContain('\x1b[32mINF\x1b[0m');
  });
});

describe('createLogger', () => {
  const capture = (level: 'debug' | 'info' | 'silent', format: 'console' | 'json') => {
    const dir = mkdtempSync(join(tmpdir(), 'koker-log-'));
    try {
      const file = join(dir, 'log');
      const fd = openSync(file, 'w');
      const log = createLogger({ level, format, fd, color: false });
      log.debug({ source: 'proc', target: 'proc' }, 'Mount target');
      log.info({ repository: '/var/lib/koker/images/repositories.json' }, 'Load image repository from file');
      closeSync(fd);
      return readFileSync(file, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('shows debug steps only at debug level', () => {
    expect(capture('debug', 'console')).toMatch(
      /^\d{1,2}:\d\d[AP]M DBG Mount target source=proc target=proc\n.* INF Load image repository from file repository=\/var\/lib\/koker\/images\/repositories.json\n$/,
    );
    expect(capture('info', 'console')).not.toContain('DBG');
  });

  it('is silent when quiet, and JSON for machines', () => {
    expect(capture('silent', 'console')).toBe('');
    const records = capture('info', 'json')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual([expect.objectContaining({ level: 30, msg: 'Load image repository from file' })]);
  });
});
