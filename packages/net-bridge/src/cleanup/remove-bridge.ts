import { rm } from 'node:fs/promises';
import { ConflictError } from '@koker/core';
import { type BridgeSettings, type BridgeSetup } from '../bridge-setup.js';
import { RtNetlink } from '../netlink/rtnetlink.js';
import { type NetworkState } from '../state/network-state.js';
import { type GoneLeaseReclaimer } from './reclaim-gone.js';

/**
 * Deletes a bridge, its rules and its state, once no container holds a lease on it (gone
 * containers' leases are reclaimed first); a ConflictError while some do.
 */
export async function removeBridge(
  settings: BridgeSettings,
  parts: { state: NetworkState; reclaimer: GoneLeaseReclaimer; setup: BridgeSetup },
): Promise<void> {
  const store = parts.state.leases(settings.name);
  await store.locked(async () => {
    const rt = new RtNetlink();
    try {
      const table = await parts.reclaimer.reclaim(store, await store.forSubnet(settings.subnet), rt);
      if (table.leases.length > 0) {
        throw new ConflictError(`bridge ${settings.name} is in use by ${table.leases.length} containers`, {
          hint: 'remove them first',
        });
      }
      await parts.setup.remove(rt, settings);
    } finally {
      rt.close();
    }
    await store.remove();
  });
  await rm(parts.state.bridgeDir(settings.name), { recursive: true, force: true });
}
