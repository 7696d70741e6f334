import {
  ConflictError,
  type ContainerRecord,
  type StateStore,
  shortContainerId,
  type ContainerId,
  NotFoundError,
  type Logger,
} from '@koker/core';
import { type ContainerLifecycle } from './container-lifecycle.js';
import { teardownContainer, type TeardownDrivers } from './teardown.js';

export interface PruneReport {
  /** Stopped containers removed. */
  readonly removed: ContainerId[];
  /** What could not be removed, and why. */
  readonly failed: { readonly id: ContainerId; readonly error: string }[];
}

export interface GarbageReport extends PruneReport {
  /** Containers whose record was stale (ended, or left by a crash), brought back to the truth. */
  readonly settled: ContainerId[];
  /** IDs whose driver resources (cgroups, rootfs, network) had no container record any more. */
  readonly orphans: ContainerId[];
  /** Broken records removed, with what their ID held. */
  readonly broken: ContainerId[];
  /** Half-created or half-removed directories of the store, root filesystems moved aside. */
  readonly swept: string[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface PruneOptions {
  /** Whether a stopped container is to go (filters); every one when absent. */
  readonly accept?: (record: ContainerRecord) => boolean;
  /** Told of each container after its removal. */
  readonly onRemoved?: (record: ContainerRecord) => void;
}

/**
 * `container prune`: removes every stopped container, as Docker's: exited ones and those `create`
 * made and nobody started (not one `run` is still setting up, nor one started meanwhile).
 * `accept` narrows it (the command's filters); `onRemoved` is told of each, after its removal
 * (its `destroy` event).
 */
export async function pruneContainers(
  store: StateStore,
  lifecycle: ContainerLifecycle,
  options: PruneOptions = {},
): Promise<PruneReport> {
  const removed: ContainerId[] = [];
  const failed: { id: ContainerId; error: string }[] = [];
  for (const record of (await store.list()).records) {
    try {
      const settled = await lifecycle.settle(record.id);
      if (!settled) continue; // --rm: removed by settling
      const { status } = await lifecycle.observe(settled);
      const created = status === 'created' && settled.awaitingStart === true;
      if ((status !== 'exited' && !created) || !(options.accept?.(settled) ?? true)) continue;
      await lifecycle.remove(record.id, { force: false });
      removed.push(record.id);
      options.onRemoved?.(settled);
    } catch (error) {
      // Started since it was looked at: no longer stopped, so not pruned.
      if (error instanceof ConflictError) continue;
      failed.push({ id: record.id, error: message(error) });
    }
  }
  return { removed, failed };
}

/**
 * `system prune`'s garbage collection: whatever crashes left. Every stale record is settled
 * (teardown through the drivers, then the record); stopped containers are removed; broken
 * records are torn down by ID and removed; driver resources whose container has no record
 * (a crash between `rm`'s teardown and its record removal, or a record lost) are released; the
 * store's half-made directories and the storage driver's moved-aside ones are swept.
 *
 * Driver-held IDs are listed before the records: `run` creates a record before any driver
 * acquires anything, so an ID held by a driver but absent from a later listing is an orphan.
 */
export async function collectGarbage(
  store: StateStore,
  lifecycle: ContainerLifecycle,
  drivers: TeardownDrivers,
  log: Logger,
  onRemoved?: (record: ContainerRecord) => void,
): Promise<GarbageReport> {
  const held = new Set<ContainerId>([
    ...(await drivers.resources.list()),
    ...(await drivers.network.list()),
    ...((await drivers.storage.list?.()) ?? []),
  ]);
  const listing = await store.list();
  const settled: ContainerId[] = [];
  const failed: { id: ContainerId; error: string }[] = [];
  for (const record of listing.records) {
    try {
      if ((await lifecycle.observe(record)).stale) {
        await lifecycle.settle(record.id);
        settled.push(record.id);
      }
    } catch (error) {
      failed.push({ id: record.id, error: message(error) });
    }
  }
  const pruned = await pruneContainers(store, lifecycle, onRemoved ? { onRemoved } : {});
  failed.push(...pruned.failed);

  const broken: ContainerId[] = [];
  for (const entry of listing.broken) {
    try {
      if (store.isLocked(entry.id)) continue;
      await lifecycle.remove(entry.id, { force: true });
      broken.push(entry.id);
    } catch (error) {
      failed.push({ id: entry.id, error: message(error) });
    }
  }

  const known = new Set([...listing.records, ...listing.broken].map((r) => r.id));
  const orphans: ContainerId[] = [];
  for (const id of held) {
    if (known.has(id)) continue;
    try {
      // A record may have appeared since the listing: then it is not an orphan.
      await store.get(id);
      continue;
    } catch (error) {
      if (!(error instanceof NotFoundError)) continue;
    }
    log.info({ container: shortContainerId(id) }, 'Release resources of a container without record');
    const failures = await teardownContainer(id, drivers, log);
    if (failures.length === 0) orphans.push(id);
    else failed.push({ id, error: failures.map((f) => `${f.name}: ${message(f.error)}`).join('; ') });
  }
  // With the root filesystems a `run --rm` moved aside and its cleanup did not remove.
  const swept = [...(await store.sweep()), ...((await drivers.storage.sweep?.()) ?? [])];
  return { settled, removed: pruned.removed, orphans, broken, swept, failed };
}
