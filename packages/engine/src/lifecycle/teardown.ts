import {
  type NetworkDriver,
  type ResourceDriver,
  type StorageDriver,
  shortContainerId,
  type ContainerId,
  type Logger,
  traced,
} from '@koker/core';
import { crashPoint } from '../run/crash-point.js';
import { type ReleaseFailure } from '../run/resource-scope.js';

export interface TeardownDrivers {
  readonly network: NetworkDriver;
  readonly storage: StorageDriver;
  readonly resources: ResourceDriver;
}

export interface TeardownOptions {
  /** The container ended and is kept: its rootfs is only unmounted. */
  readonly keepFiles?: boolean;
  /**
   * Its user is waiting: the rootfs's files are moved aside (where the storage driver can), and
   * this is told the directories, for a process nobody waits for to remove (the driver's `sweep`
   * removes what nobody did).
   */
  readonly removeLater?: (aside: readonly string[]) => void;
}

/**
 * Everything a container holds, released in the reverse order of run's setup: cgroups first (the
 * driver kills what is left in them, so nothing keeps the rootfs busy), then the rootfs, then the
 * network (`keepFiles`: the rootfs is only unmounted, for a container that ended and is kept;
 * `removeLater`: its files are moved aside, see TeardownOptions). Each driver treats a
 * missing piece as done, so a teardown can be repeated after a crash; a failing step is reported
 * and the others still run.
 */
export async function teardownContainer(
  id: ContainerId,
  drivers: TeardownDrivers,
  log?: Logger,
  options: TeardownOptions = {},
): Promise<ReleaseFailure[]> {
  const container = shortContainerId(id);
  const failures: ReleaseFailure[] = [];
  const step = async (name: string, release: () => Promise<void>) => {
    try {
      log?.debug({ container, resource: name }, 'Release resource');
      crashPoint(`teardown:${name}`);
      await traced(`release ${name}`, release);
    } catch (error) {
      log?.error({ container, resource: name, err: error }, 'Could not release resource');
      failures.push({ name, error });
    }
  };
  await step('cgroups', () => drivers.resources.destroy(id));
  await step('rootfs', async () => {
    // A container that ended and is kept keeps its files (its changes) until it is removed.
    if (options.keepFiles && drivers.storage.unmount) return drivers.storage.unmount(id);
    const { storage } = drivers;
    let left: readonly string[];
    if (options.removeLater && storage.releaseLater) {
      const released = await storage.releaseLater(id);
      if (released.aside.length > 0) options.removeLater(released.aside);
      left = released.left;
    } else {
      left = await storage.release(id);
    }
    if (left.length > 0) throw new Error(`could not remove ${left.join(', ')}`);
  });
  await step('network', () => drivers.network.detach(id));
  return failures;
}
