import { type ContainerRecord, type ContainerStatus } from '@koker/core';
import { type ExitFile } from './exit-file.js';
import { type HealthState } from './health.js';

/** What can be seen of a container besides its record. */
export interface ContainerFacts {
  /** Its keeper (monitor, or attached `koker run`) holds the keeper lock. */
  readonly kept: boolean;
  /** A lifecycle operation (run's setup, rm, ...) holds the container lock. */
  readonly locked: boolean;
  /** The monitor's report, if the container's process ended under it. */
  readonly exit?: ExitFile;
  /** Its health checker's last state (health.json), for a container with a health check. */
  readonly health?: HealthState;
}

export interface ObservedContainer {
  readonly status: ContainerStatus;
  readonly running: boolean;
  readonly exitCode?: number;
  readonly finished?: string;
  /** Why it ended without a normal exit, when it did. */
  readonly reason?: string;
  /**
   * The record no longer tells the truth (the container ended, or its keeper or setup died):
   * the next command that touches it settles it (teardown, then the record).
   */
  readonly stale: boolean;
  /** `State.Health`: as its health checker last wrote it. */
  readonly health?: HealthState;
}

/** Exit code for a container whose end nobody saw (Docker uses 255 for "unknown"). */
export const UNKNOWN_EXIT_CODE = 255;

/**
 * The container's real state, from its record and the locks: a pure function, so `ls` shows the
 * truth after any crash without changing anything.
 */
export function observeContainer(record: ContainerRecord, facts: ContainerFacts): ObservedContainer {
  const seen = observeStatus(record, facts);
  return facts.health ? { ...seen, health: facts.health } : seen;
}

function observeStatus(record: ContainerRecord, facts: ContainerFacts): ObservedContainer {
  switch (record.status) {
    case 'created':
      // Being set up by `run` (locked), or made by `koker create` for a later `start`.
      if (facts.locked || record.awaitingStart === true)
        return {
          status: 'created',
          running: false,
          ...(record.reason !== undefined ? { reason: record.reason } : {}),
          stale: false,
        };
      return {
        status: 'exited',
        running: false,
        exitCode: UNKNOWN_EXIT_CODE,
        reason: 'koker stopped while setting it up',
        stale: true,
      };
    case 'running':
      if (facts.kept) return { status: 'running', running: true, stale: false };
      if (facts.exit) {
        return {
          status: 'exited',
          running: false,
          exitCode: facts.exit.exitCode,
          finished: facts.exit.finishedAt,
          stale: true,
        };
      }
      return {
        status: 'exited',
        running: false,
        exitCode: UNKNOWN_EXIT_CODE,
        reason: record.detached ? 'its monitor died' : 'the koker run that kept it died',
        stale: true,
      };
    case 'exited':
      return {
        status: 'exited',
        running: false,
        ...(record.exitCode !== undefined ? { exitCode: record.exitCode } : {}),
        ...(record.finished !== undefined ? { finished: record.finished } : {}),
        ...(record.reason !== undefined ? { reason: record.reason } : {}),
        stale: false,
      };
  }
}
