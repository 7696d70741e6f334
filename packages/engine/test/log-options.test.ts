import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import {
  monitorLogArgs,
  parseLogConfig,
  parseLogSize,
  parseLogTimeFlag,
  parseRecordTime,
} from '../src/index.js';

describe('log sizes (Docker units, decimal)', () => {
  it.each([
    ['4096', 4096],
    ['10k', 10_000],
    ['10m', 10_000_000],
    ['10MB', 10_000_000],
    ['1.5g', 1_500_000_000],
    ['20 mb', 20_000_000],
    ['2KiB', 2000],
  ])('%s is %d bytes', (input, bytes) => expect(parseLogSize(input)).toBe(bytes));

  it.each(['', 'ten', '10x', '-1k'])('refuses %j', (input) =>
    expect(() => parseLogSize(input)).toThrow(InvalidValueError),
  );
});

describe('log options', () => {
  it('defaults to json-file, bounded', () => {
    expect(parseLogConfig(undefined, [])).toEqual({
      driver: 'json-file',
      maxSize: 20_000_000,
      maxFile: 5,
      options: {},
    });
  });
  it('takes max-size and max-file, and -1 for no bound', () => {
    const config = parseLogConfig('local', ['max-size=1m', 'max-file=2']);
    expect(config).toMatchObject({ driver: 'local', maxSize: 1_000_000, maxFile: 2 });
    expect(monitorLogArgs(config)).toEqual([
      '--log-driver',
      'local',
      '--log-max-size',
      '1000000',
      '--log-max-file',
      '2',
    ]);
    expect(parseLogConfig('json-file', ['max-size=-1'])).toMatchObject({ maxSize: 0, maxFile: 1 });
  });
  it.each([
    ['syslog', []],
    ['json-file', ['labels=a']],
    ['json-file', ['max-file=0']],
    ['json-file', ['max-size=-1', 'max-file=3']],
    ['none', ['max-size=1m']],
    ['json-file', ['max-size']],
  ])('refuses %s %j', (driver, opts) =>
    expect(() => parseLogConfig(driver, opts)).toThrow(InvalidValueError),
  );
});

describe('log times', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
  it('reads record times to the nanosecond', () => {
    expect(parseRecordTime('2030-01-01T00:00:01.000000001Z')).toBe(ns('2030-01-01T00:00:01Z') + 1n);
    expect(parseRecordTime('2030-01-01T01:00:01.5+01:00')).toBe(ns('2030-01-01T00:00:01.5Z'));
    expect(parseRecordTime('yesterday')).toBeUndefined();
  });
  it('takes durations, Unix times and RFC 3339 times as Docker does', () => {
    expect(parseLogTimeFlag('--since', '10m', now)).toBe(ns('2030-01-01T11:50:00Z'));
    expect(parseLogTimeFlag('--since', '1h30m', now)).toBe(ns('2030-01-01T10:30:00Z'));
    expect(parseLogTimeFlag('--since', '1893456000', now)).toBe(ns('2030-01-01T00:00:00Z'));
    expect(parseLogTimeFlag('--since', '1893456000.25', now)).toBe(ns('2030-01-01T00:00:00.25Z'));
    expect(parseLogTimeFlag('--until', '2030-01-01T00:00:00.123Z', now)).toBe(ns('2030-01-01T00:00:00.123Z'));
    expect(parseLogTimeFlag('--until', '2030-01-01T00:00:00', now)).toBe(
      BigInt(new Date('2030-01-01T00:00:00').getTime()) * 1_000_000n,
    );
    expect(() => parseLogTimeFlag('--since', 'soon', now)).toThrow(InvalidValueError);
  });
});
