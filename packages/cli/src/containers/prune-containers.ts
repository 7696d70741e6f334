import { type ContainerRecord } from '@koker/core';
import { pruneContainers, type PruneReport } from '@koker/engine';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';
import { lifecycleOf } from './lifecycle.js';

/**
 * Removes the stopped containers `accept` takes (the `container prune` command and the API's
 * prune), each with its `destroy` event.
 */
export async function pruneStoppedContainers(
  ctx: CliContext,
  accept: (record: ContainerRecord) => boolean,
): Promise<PruneReport> {
  const removed: ContainerRecord[] = [];
  const report = await pruneContainers(ctx.state, lifecycleOf(ctx), {
    accept,
    onRemoved: (record) => removed.push(record),
  });
  for (const record of removed) await emitContainerEvent(ctx, record, 'destroy');
  return report;
}
