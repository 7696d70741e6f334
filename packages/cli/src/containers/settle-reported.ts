import { type ContainerId, type ContainerRecord } from '@koker/core';
import { restartDecision } from '@koker/engine';
import { type CliContext } from '../context.js';
import { lifecycleOf } from './lifecycle.js';
import { type Settled } from './monitor-frames.js';

/** What settling a container left for its monitor. */
export interface ReportedSettlement {
  /** The container's record, or undefined once it is removed (`--rm`). */
  readonly record: ContainerRecord | undefined;
  /**
   * Nothing is left for the monitor's cleanup (removed, or kept with no restart due): tell the
   * monitor so (the `settled` frame) with the directories moved aside for it to remove.
   */
  readonly settled?: Settled;
}

/**
 * Settles a container under its lock (held by the caller) while its monitor waits after
 * reporting the exit (`exitReported`: the exit record is on disk): its end recorded, what it
 * held released, an `--rm` container's files moved aside rather than removed, then removed.
 */
export async function settleReported(
  ctx: CliContext,
  id: ContainerId,
  options: { readonly exitReported: boolean; readonly onOomKill?: (record: ContainerRecord) => void },
): Promise<ReportedSettlement> {
  const aside: string[] = [];
  const record = await lifecycleOf(ctx).settleLocked(id, {
    exitReported: options.exitReported,
    ...(options.exitReported ? { removeLater: (dirs: readonly string[]) => aside.push(...dirs) } : {}),
    ...(options.onOomKill ? { onOomKill: options.onOomKill } : {}),
  });
  return !record || !restartDecision(record).restart ? { record, settled: { aside } } : { record };
}
