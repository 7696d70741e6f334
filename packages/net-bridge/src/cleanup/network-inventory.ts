import { readdir } from 'node:fs/promises';
import { parseContainerId, type ContainerId } from '@koker/core';
import { type NetworkState } from '../state/network-state.js';
import { isValidLinkName } from '../veth-names.js';

/**
 * Every container that may hold something of the network: a record, a namespace file, or a lease
 * of this koker root on the configured bridge or a user network's (what the garbage collector
 * detaches).
 */
export async function listNetworkHolders(
  state: NetworkState,
  bridges: readonly string[],
): Promise<ContainerId[]> {
  const ids = new Set<ContainerId>(await state.records.ids());
  try {
    for (const name of await readdir(state.netnsDir)) {
      try {
        ids.add(parseContainerId(name));
      } catch {
        // not a container's namespace file
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const bridge of bridges) {
    if (!isValidLinkName(bridge)) continue;
    const table = await state.leases(bridge).current();
    // The table is the host's: only this root's leases are its garbage.
    for (const lease of table?.leases ?? [])
      if (lease.runRoot === undefined || lease.runRoot === state.runRoot) ids.add(lease.id);
  }
  return [...ids];
}
