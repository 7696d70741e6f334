import { describe, expect, it } from 'vitest';
import { type ContainerRecord } from '@koker/core';
import {
  formatRestartPolicy,
  nextDelay,
  parseRestartPolicy,
  restartDecision,
  startsAtBoot,
} from '../src/lifecycle/restart-policy.js';

const ended = (over: Partial<ContainerRecord>): ContainerRecord =>
  ({
    status: 'exited',
    exitCode: 1,
    autoRemove: false,
    started: '2026-01-01T00:00:00.000Z',
    finished: '2026-01-01T00:00:01.000Z',
    restartPolicy: { name: 'always', maximumRetryCount: 0 },
    ...over,
  }) as ContainerRecord;

describe('restart policies', () => {
  it("parses Docker's syntax", () => {
    expect(parseRestartPolicy('no')).toEqual({ name: 'no', maximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure')).toEqual({ name: 'on-failure', maximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:5')).toEqual({ name: 'on-failure', maximumRetryCount: 5 });
    expect(parseRestartPolicy('unless-stopped').name).toBe('unless-stopped');
    for (const bad of ['sometimes', 'always:2', 'on-failure:x', 'on-failure:-1', ''])
      expect(() => parseRestartPolicy(bad), bad).toThrow(/--restart/);
    expect(formatRestartPolicy({ name: 'on-failure', maximumRetryCount: 3 })).toBe('on-failure:3');
    expect(formatRestartPolicy(undefined)).toBe('no');
  });

  it('decides as Docker: never after stop or for --rm; on-failure on failures, up to its count', () => {
    expect(restartDecision(ended({}))).toEqual({ restart: true, delayMs: 100 });
    expect(restartDecision(ended({ exitCode: 0 })).restart).toBe(true);
    expect(restartDecision(ended({ manuallyStopped: true })).restart).toBe(false);
    expect(restartDecision(ended({ autoRemove: true })).restart).toBe(false);
    expect(restartDecision(ended({ status: 'running' })).restart).toBe(false);
    expect(restartDecision(ended({ restartPolicy: { name: 'no', maximumRetryCount: 0 } })).restart).toBe(
      false,
    );
    const onFailure = { name: 'on-failure', maximumRetryCount: 2 } as const;
    expect(restartDecision(ended({ restartPolicy: onFailure, exitCode: 0 })).restart).toBe(false);
    expect(restartDecision(ended({ restartPolicy: onFailure, restartCount: 1 })).restart).toBe(true);
    expect(restartDecision(ended({ restartPolicy: onFailure, restartCount: 2 })).restart).toBe(false);
    const unlimited = { name: 'on-failure', maximumRetryCount: 0 } as const;
    expect(restartDecision(ended({ restartPolicy: unlimited, restartCount: 50 })).restart).toBe(true);
  });

  it('backs off from 100 ms, doubling up to a minute, and resets after 10 s of running', () => {
    expect(nextDelay(ended({}))).toBe(100);
    expect(nextDelay(ended({ restartDelayMs: 100 }))).toBe(200);
    expect(nextDelay(ended({ restartDelayMs: 6400 }))).toBe(12_800);
    expect(nextDelay(ended({ restartDelayMs: 40_000 }))).toBe(60_000);
    expect(nextDelay(ended({ restartDelayMs: 60_000 }))).toBe(60_000);
    expect(nextDelay(ended({ restartDelayMs: 6400, finished: '2026-01-01T00:00:10.000Z' }))).toBe(100);
  });

  it('starts always and unless-stopped (if not stopped by hand) at boot', () => {
    expect(startsAtBoot(ended({}))).toBe(true);
    expect(startsAtBoot(ended({ manuallyStopped: true }))).toBe(true);
    const unless = { name: 'unless-stopped', maximumRetryCount: 0 } as const;
    expect(startsAtBoot(ended({ restartPolicy: unless }))).toBe(true);
    expect(startsAtBoot(ended({ restartPolicy: unless, manuallyStopped: true }))).toBe(false);
    expect(startsAtBoot(ended({ restartPolicy: { name: 'on-failure', maximumRetryCount: 0 } }))).toBe(false);
  });
});
