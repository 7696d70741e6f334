import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidValueError } from '@koker/core';

/** `--log-driver` and `--log-opt`, as the container's monitor applies them. */
export interface LogConfig {
  readonly driver: 'json-file' | 'local' | 'none';
  /** Bytes a log file may reach before it is rotated; 0: unbounded (only when asked for). */
  readonly maxSize: number;
  /** Files kept, the current one included. */
  readonly maxFile: number;
  /** The options as given, for inspect (HostConfig.LogConfig.Config). */
  readonly options: Readonly<Record<string, string>>;
}

/**
 * koker's default bound: 5 files of 20 MB (100 MB a container, Docker's `local` driver's own
 * default), where Docker's json-file is unbounded by default: a chatty container cannot fill
 * the disk. `--log-opt max-size=-1` asks for no bound.
 */
export const DEFAULT_LOG_MAX_SIZE = 20_000_000;
export const DEFAULT_LOG_MAX_FILE = 5;
export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/**
 * A size as Docker's log options take it (go-units' FromHumanSize: decimal units): `10m`,
 * `10MB`, `1.5g`, `512k`, `4096`, `20 mb`.
 */
export function parseLogSize(input: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(input.trim());
  if (!match) throw new InvalidValueError('log size', input, 'expected a size such as 10m, 512k or 1g');
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new InvalidValueError('log size', input, 'too large');
  return bytes;
}

/** `--log-driver` and every `--log-opt key=value`, checked as Docker checks them (exit 125). */
export function parseLogConfig(driverInput: string | undefined, opts: readonly string[]): LogConfig {
  const driver = (driverInput ?? 'json-file') as LogConfig['driver'];
  if (!LOG_DRIVERS.includes(driver))
    throw new InvalidValueError('log driver', driverInput ?? '', `koker has ${LOG_DRIVERS.join(', ')}`);
  const options: Record<string, string> = {};
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    if (eq <= 0) throw new InvalidValueError('log option', opt, 'expected key=value');
    const key = opt.slice(0, eq);
    if (driver === 'none' || (key !== 'max-size' && key !== 'max-file'))
      throw new InvalidValueError('log option', opt, `unknown log opt '${key}' for ${driver} log driver`);
    options[key] = opt.slice(eq + 1);
  }
  const unbounded = options['max-size'] === '-1';
  const maxSize = unbounded
    ? 0
    : options['max-size'] !== undefined
      ? parseLogSize(options['max-size'])
      : DEFAULT_LOG_MAX_SIZE;
  if (!unbounded && maxSize <= 0)
    throw new InvalidValueError('log option', `max-size=${options['max-size']}`, 'must be positive');
  let maxFile = DEFAULT_LOG_MAX_FILE;
  if (options['max-file'] !== undefined) {
    if (
      !/^\d+$/.test(options['max-file']) ||
      Number(options['max-file']) < 1 ||
      Number(options['max-file']) > 1000
    )
      throw new InvalidValueError(
        'log option',
        `max-file=${options['max-file']}`,
        'expected a number of files, 1 to 1000',
      );
    if (unbounded)
      throw new InvalidValueError('log option', `max-file=${options['max-file']}`, 'max-file needs max-size');
    maxFile = Number(options['max-file']);
  }
  return { driver, maxSize, maxFile: unbounded ? 1 : maxFile, options };
}

/** The container's log configuration, next to its log (written by `run`, read by `start`). */
export const LOG_CONFIG_FILE = 'log-config.json';

export function writeLogConfig(containerDir: string, config: LogConfig): void {
  writeFileSync(join(containerDir, LOG_CONFIG_FILE), `${JSON.stringify(config)}\n`, { mode: 0o600 });
}

/** What `run` decided, else the defaults (a container made before log drivers existed). */
export function readLogConfig(containerDir: string): LogConfig {
  try {
    const raw = JSON.parse(readFileSync(join(containerDir, LOG_CONFIG_FILE), 'utf8')) as Partial<LogConfig>;
    return parseLogConfig(
      raw.driver,
      Object.entries(raw.options ?? {}).map(([key, value]) => `${key}=${value}`),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseLogConfig('local', []);
    throw error;
  }
}

/** The monitor's options for it. */
export function monitorLogArgs(config: LogConfig): string[] {
  return [
    '--log-driver',
    config.driver,
    '--log-max-size',
    String(config.maxSize),
    '--log-max-file',
    String(config.maxFile),
  ];
}
