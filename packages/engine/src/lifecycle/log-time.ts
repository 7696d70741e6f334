import { InvalidValueError } from '@koker/core';

/** Times in the log are compared as nanoseconds since the epoch (RFC 3339 keeps 9 digits). */
export type LogTime = bigint;

const NS_PER_MS = 1_000_000n;
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** A record's time (RFC 3339, any fraction), or undefined. */
export function parseRecordTime(text: string): LogTime | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, seconds = '', fraction = '', zone = 'Z'] = match;
  const ms = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'));
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * A Go duration (`1m30s`, `500ms`, `2.5s`) in milliseconds, unrounded; undefined when the text is
 * not one. A bare `0` is not (Docker's flags that take one say so themselves).
 */
export function goDurationMs(text: string): number | undefined {
  const parts = [...text.matchAll(DURATION_PART)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, [, n = '0', unit = 's']) => sum + Number(n) * (DURATION_UNITS[unit] ?? 0), 0);
}

/**
 * `--since`/`--until` as Docker takes them: a Go duration before now (`10m`, `1h30m`), a Unix
 * time (`1700000000`, `1700000000.5`), an RFC 3339 time (`2024-05-01T10:00:00Z`, with or without
 * fraction or zone: local time without one), or a date (`2024-05-01`, local midnight).
 */
export function parseLogTimeFlag(flag: string, input: string, now: number = Date.now()): LogTime {
  const value = input.trim();
  const ago = goDurationMs(value);
  if (ago !== undefined) return BigInt(Math.round((now - ago) * 1e6));
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (unix) return BigInt(unix[1] ?? '0') * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0'));
  const exact = parseRecordTime(value);
  if (exact !== undefined) return exact;
  const local = /^(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?)?$/.exec(value);
  if (local) {
    const [, date = '', time = '00:00:00', fraction = ''] = local;
    const ms = new Date(`${date}T${time.length === 5 ? `${time}:00` : time}`).getTime();
    if (!Number.isNaN(ms)) return BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'));
  }
  throw new InvalidValueError(flag, input, 'expected a duration (10m), a Unix time or an RFC 3339 time');
}
