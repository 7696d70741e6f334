import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type HealthcheckConfig, type ImageHealthcheck } from '@koker/core';
import { writeFileAtomic } from '@koker/host';

/** Docker's defaults: every 30 s, 30 s to answer, unhealthy after 3 failures, no start period. */
export const HEALTH_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
  retries: 3,
} as const;

/** Docker keeps the last 5 results and 4 KiB of each one's output. */
export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_BYTES = 4096;

/** `--health-*` as parsed: each absent when not given. */
export interface HealthFlags {
  readonly cmd?: string;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly startPeriodMs?: number;
  readonly startIntervalMs?: number;
  readonly retries?: number;
  /** `--no-healthcheck` */
  readonly none?: boolean;
}

const ms = (nanoseconds: number | undefined) =>
  nanoseconds === undefined || nanoseconds === 0 ? undefined : Math.round(nanoseconds / 1e6);

/**
 * The container's check as Docker decides it: the flags over the image's HEALTHCHECK field by
 * field; `--no-healthcheck` or a Test of `NONE` means none; zero means "the default".
 */
export function healthcheckConfig(
  image: ImageHealthcheck | undefined,
  flags: HealthFlags,
): HealthcheckConfig | undefined {
  if (flags.none) return undefined;
  const test = flags.cmd !== undefined ? ['CMD-SHELL', flags.cmd] : image?.Test;
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  return {
    test: [...test],
    intervalMs: flags.intervalMs || ms(image?.Interval) || HEALTH_DEFAULTS.intervalMs,
    timeoutMs: flags.timeoutMs || ms(image?.Timeout) || HEALTH_DEFAULTS.timeoutMs,
    startPeriodMs: flags.startPeriodMs ?? ms(image?.StartPeriod) ?? HEALTH_DEFAULTS.startPeriodMs,
    startIntervalMs: flags.startIntervalMs || ms(image?.StartInterval) || HEALTH_DEFAULTS.startIntervalMs,
    retries: flags.retries || image?.Retries || HEALTH_DEFAULTS.retries,
  };
}

/**
 * Whether the check is switched off (`--no-healthcheck`, or the image's `HEALTHCHECK NONE` with
 * no `--health-cmd`), rather than never asked for: Docker keeps Test `["NONE"]` in the config.
 */
export function healthcheckDisabled(image: ImageHealthcheck | undefined, flags: HealthFlags): boolean {
  if (flags.none) return true;
  return flags.cmd === undefined && image?.Test?.[0] === 'NONE';
}

/** The argv a check runs: `CMD` as given, `CMD-SHELL` through `/bin/sh -c`. */
export function healthcheckArgv(test: readonly string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'CMD') return rest;
  // An image may give the argv without the kind (old Docker did).
  return [...test];
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthResult {
  readonly Start: string;
  readonly End: string;
  readonly ExitCode: number;
  readonly Output: string;
}

/** `State.Health` as Docker shows it; kept in `health.json` in the container's directory. */
export interface HealthState {
  readonly Status: HealthStatus;
  readonly FailingStreak: number;
  readonly Log: readonly HealthResult[];
}

export const HEALTH_STARTING: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };

/**
 * One result applied, as Docker's monitor does: a success makes it healthy and resets the
 * streak; a failure during the start period does not count; otherwise the streak grows, and
 * reaching `retries` makes it unhealthy.
 */
export function applyHealthResult(
  state: HealthState,
  result: HealthResult,
  config: HealthcheckConfig,
  inStartPeriod: boolean,
): HealthState {
  const Log = [...state.Log, result].slice(-HEALTH_LOG_ENTRIES);
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (inStartPeriod && state.Status === 'starting') return { ...state, Log };
  const FailingStreak = state.FailingStreak + 1;
  return { Status: FailingStreak >= config.retries ? 'unhealthy' : state.Status, FailingStreak, Log };
}

export const HEALTH_FILE = 'health.json';

export async function readHealthFile(containerDir: string): Promise<HealthState | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(containerDir, HEALTH_FILE), 'utf8')) as HealthState;
    return typeof raw.Status === 'string' && Array.isArray(raw.Log) ? raw : undefined;
  } catch {
    return undefined;
  }
}

export async function writeHealthFile(containerDir: string, state: HealthState): Promise<void> {
  await writeFileAtomic(join(containerDir, HEALTH_FILE), `${JSON.stringify(state)}\n`, { durable: false });
}

export async function removeHealthFile(containerDir: string): Promise<void> {
  await rm(join(containerDir, HEALTH_FILE), { force: true });
}
