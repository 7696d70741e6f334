import { describe, expect, it } from 'vitest';
import {
  applyHealthResult,
  healthcheckArgv,
  healthcheckConfig,
  healthcheckDisabled,
  HEALTH_STARTING,
} from '../src/lifecycle/health.js';

const config = healthcheckConfig(undefined, { cmd: 'true', retries: 2 })!;
const result = (ExitCode: number) => ({ Start: 's', End: 'e', ExitCode, Output: '' });

describe('health checks', () => {
  it("merges the flags over the image's HEALTHCHECK, with Docker's defaults", () => {
    const image = { Test: ['CMD', 'curl', '-f', 'localhost'], Interval: 5e9, Retries: 5 };
    expect(healthcheckConfig(image, {})).toEqual({
      test: ['CMD', 'curl', '-f', 'localhost'],
      intervalMs: 5000,
      timeoutMs: 30_000,
      startPeriodMs: 0,
      startIntervalMs: 5000,
      retries: 5,
    });
    expect(healthcheckConfig(image, { cmd: 'true', intervalMs: 100 })).toMatchObject({
      test: ['CMD-SHELL', 'true'],
      intervalMs: 100,
      retries: 5,
    });
    expect(healthcheckConfig(image, { none: true })).toBeUndefined();
    expect(healthcheckConfig({ Test: ['NONE'] }, {})).toBeUndefined();
    expect(healthcheckConfig(undefined, {})).toBeUndefined();
    expect(healthcheckArgv(['CMD-SHELL', 'test -e /ok'])).toEqual(['/bin/sh', '-c', 'test -e /ok']);
    expect(healthcheckArgv(['CMD', 'true'])).toEqual(['true']);
  });

  it("tells a check switched off (--no-healthcheck, the image's NONE) from one never asked for", () => {
    const image = { Test: ['CMD', 'true'] };
    expect(healthcheckDisabled(image, { none: true })).toBe(true);
    expect(healthcheckDisabled(undefined, { none: true })).toBe(true);
    expect(healthcheckDisabled({ Test: ['NONE'] }, {})).toBe(true);
    // --health-cmd brings a check back over the image's NONE.
    expect(healthcheckDisabled({ Test: ['NONE'] }, { cmd: 'true' })).toBe(false);
    expect(healthcheckDisabled(image, {})).toBe(false);
    expect(healthcheckDisabled(undefined, {})).toBe(false);
  });

  it('goes healthy on a success, unhealthy after `retries` failures, healthy again', () => {
    let state = applyHealthResult(HEALTH_STARTING, result(0), config, false);
    expect(state).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    state = applyHealthResult(state, result(1), config, false);
    expect(state).toMatchObject({ Status: 'healthy', FailingStreak: 1 });
    state = applyHealthResult(state, result(1), config, false);
    expect(state).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    state = applyHealthResult(state, result(0), config, false);
    expect(state).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
  });

  it('counts no failure during the start period, and keeps the last 5 results', () => {
    let state = HEALTH_STARTING;
    for (let i = 0; i < 7; i++) state = applyHealthResult(state, result(1), config, true);
    expect(state).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(state.Log).toHaveLength(5);
    state = applyHealthResult(state, result(1), config, false);
    expect(state.FailingStreak).toBe(1);
  });
});
