import { InvalidValueError, type ContainerRecord, type RestartPolicy } from '@koker/core';

/** Docker's back-off: the first restart waits 100 ms, each next one twice as long, at most 1 min. */
export const RESTART_FIRST_DELAY_MS = 100;
export const RESTART_MAX_DELAY_MS = 60_000;
/** A run at least this long resets the back-off (Docker's 10 s). */
export const RESTART_RESET_AFTER_MS = 10_000;

/** `--restart no|on-failure[:N]|always|unless-stopped`, Docker's syntax and checks. */
export function parseRestartPolicy(input: string): RestartPolicy {
  const [name = '', count] = input.split(':', 2) as [string, string | undefined];
  const invalid = (reason: string) => new InvalidValueError('--restart', input, reason);
  if (name === 'on-failure') {
    if (count === undefined) return { name, maximumRetryCount: 0 };
    if (!/^\d+$/.test(count))
      throw invalid('the maximum retry count must be a whole number, e.g. on-failure:3');
    return { name, maximumRetryCount: Number(count) };
  }
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw invalid(`a maximum retry count goes only with on-failure`);
    return { name, maximumRetryCount: 0 };
  }
  throw invalid('expected no, on-failure[:max-retries], always or unless-stopped');
}

/** Docker's spelling of a policy: `on-failure:3`, `always`. */
export function formatRestartPolicy(policy: RestartPolicy | undefined): string {
  if (!policy) return 'no';
  return policy.name === 'on-failure' && policy.maximumRetryCount > 0
    ? `on-failure:${policy.maximumRetryCount}`
    : policy.name;
}

/** What the policy says about a container that just ended: start it again after `delayMs`, or not. */
export type RestartDecision =
  { readonly restart: false } | { readonly restart: true; readonly delayMs: number };

/**
 * Docker's restart manager as a pure function of the settled record: never after `stop`/`kill`
 * or for `--rm`; `on-failure` only on a non-zero exit and while RestartCount is below its
 * maximum; the back-off doubles from 100 ms and goes back to 100 ms after a run of 10 s.
 */
export function restartDecision(record: ContainerRecord): RestartDecision {
  const policy = record.restartPolicy;
  if (!policy || policy.name === 'no' || record.manuallyStopped || record.autoRemove)
    return { restart: false };
  if (record.status !== 'exited') return { restart: false };
  if (policy.name === 'on-failure') {
    if ((record.exitCode ?? 0) === 0) return { restart: false };
    if (policy.maximumRetryCount > 0 && (record.restartCount ?? 0) >= policy.maximumRetryCount)
      return { restart: false };
  }
  return { restart: true, delayMs: nextDelay(record) };
}

/** The back-off before this restart, from the last one and how long the container ran. */
export function nextDelay(record: ContainerRecord): number {
  const ran =
    record.started && record.finished ? Date.parse(record.finished) - Date.parse(record.started) : 0;
  const previous = record.restartDelayMs;
  if (previous === undefined || ran >= RESTART_RESET_AFTER_MS) return RESTART_FIRST_DELAY_MS;
  return Math.min(previous * 2, RESTART_MAX_DELAY_MS);
}

/** Whether `koker system boot` starts the container: `always`, or `unless-stopped` not stopped by hand. */
export function startsAtBoot(record: ContainerRecord): boolean {
  const name = record.restartPolicy?.name;
  return name === 'always' || (name === 'unless-stopped' && record.manuallyStopped !== true);
}
