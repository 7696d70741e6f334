import { type ResourceDriver } from '../contracts/resources.js';
import { type ContainerId } from '../domain/container-id.js';
import { type Logger } from '../log/logger.js';

/**
 * Garbage collection after crashes: removes (killing what is left) every container cgroup under
 * koker's parent that `isLive` does not claim. The caller decides liveness from koker's records
 * (a container that is created or running); IDs without a record are orphans.
 */
export async function removeOrphanCgroups(
  resources: Pick<ResourceDriver, 'list' | 'destroy'>,
  isLive: (id: ContainerId) => boolean | Promise<boolean>,
  log: Logger,
): Promise<ContainerId[]> {
  const removed: ContainerId[] = [];
  for (const id of await resources.list()) {
    if (await isLive(id)) continue;
    log.debug({ container: id.slice(0, 12) }, 'Remove orphaned container cgroups');
    await resources.destroy(id);
    removed.push(id);
  }
  return removed;
}
