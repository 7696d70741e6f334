import { shortContainerId, type ContainerId, type Logger, type StateStore } from '@koker/core';
import { type ContainerLifecycle } from './container-lifecycle.js';

/**
 * Settles every container whose record is stale (its `run` died while setting it up, its
 * monitor or attached `run` died, or it ended and nobody cleaned up): the drivers release its
 * netns, host ports, veth, address, cgroups and mounts, and the record says how it ended.
 * `run` calls this before it claims anything, so a crashed run's port or address is free for
 * the next one without `prune`. A container that cannot be settled now is left to `prune`
 * (logged), never a reason for this run to fail. Returns the settled IDs.
 */
export async function settleStaleContainers(
  store: StateStore,
  lifecycle: ContainerLifecycle,
  log: Logger,
): Promise<ContainerId[]> {
  const settled: ContainerId[] = [];
  for (const record of (await store.list()).records) {
    // An exited record is the truth already; only created and running ones can be stale.
    if (record.status === 'exited') continue;
    try {
      // A container being set up right now holds its lock: not stale.
      if (!(await lifecycle.observe(record)).stale) continue;
      log.debug({ container: shortContainerId(record.id) }, 'Settle a container left by a crash');
      await lifecycle.settle(record.id);
      settled.push(record.id);
    } catch (error) {
      log.warn(
        { container: shortContainerId(record.id), error: (error as Error).message },
        'Could not settle a container left by a crash; koker system prune retries',
      );
    }
  }
  return settled;
}
