import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ANONYMOUS_VOLUME_LABEL,
  ConflictError,
  NotFoundError,
  shortContainerId,
  type ContainerRecord,
  type Logger,
  type StateStore,
  type Volume,
} from '@koker/core';
import { type VolumeDrivers } from './volume-drivers.js';
import { lockVolumes } from './volume-locks.js';

export interface VolumeContext {
  readonly volumes: VolumeDrivers;
  readonly state: StateStore;
  readonly log: Logger;
}

/** The volumes the container mounts, by name (its own and those of --volumes-from). */
function volumeNames(record: ContainerRecord): string[] {
  const fromSpec = (record.spec?.mounts ?? []).flatMap((m) => (m.type === 'volume' ? [m.name] : []));
  const fromRecord = (record.mounts ?? []).flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : []));
  return [...new Set([...fromSpec, ...fromRecord])];
}

/** Which containers (running or not) use each volume: Docker refuses to remove those. */
export async function volumeUsers(state: StateStore): Promise<Map<string, ContainerRecord[]>> {
  const users = new Map<string, ContainerRecord[]>();
  for (const record of (await state.list()).records) {
    for (const name of volumeNames(record)) users.set(name, [...(users.get(name) ?? []), record]);
  }
  return users;
}

/** Finds a volume in whichever driver has it (names are unique across drivers, as in Docker). */
export async function findVolume(name: string, volumes: VolumeDrivers): Promise<Volume> {
  for (const driver of await volumes.all()) {
    const volume = await driver.get(name);
    if (volume) return volume;
  }
  throw new NotFoundError(`no such volume: ${name}`);
}

/** `volume rm`: refused while a container uses it (`-f` only makes a missing volume no error). */
export async function removeVolume(
  name: string,
  options: { force: boolean },
  context: VolumeContext,
  users?: Map<string, ContainerRecord[]>,
): Promise<boolean> {
  let volume: Volume;
  try {
    volume = await findVolume(name, context.volumes);
  } catch (error) {
    if (options.force && error instanceof NotFoundError) return false;
    throw error;
  }
  // Locked, and its users read under the lock: a run taking it is recorded as one by then.
  const lock = await lockVolumes(context.volumes, [volume.name]);
  try {
    const using =
      (users && !context.volumes.lock ? users : await volumeUsers(context.state)).get(volume.name) ?? [];
    if (using.length > 0)
      throw new ConflictError(
        `remove ${volume.name}: volume is in use - [${using.map((r) => r.id).join(', ')}]`,
        { hint: 'remove the containers that use it first (koker rm)' },
      );
    await (await context.volumes.driver(volume.driver)).remove(volume.name);
  } catch (error) {
    if (options.force && error instanceof NotFoundError) return false;
    throw error;
  } finally {
    lock.release();
  }
  context.log.debug({ volume: volume.name, driver: volume.driver }, 'Remove volume');
  reportRemoved(context.volumes, volume.name, volume.driver);
  return true;
}

/**
 * `rm -v` and `--rm`: the anonymous volumes the container made, once no other container uses
 * them (a --volumes-from may). Named volumes stay. Failures are logged, never fatal.
 */
export async function removeAnonymousVolumes(
  record: Pick<ContainerRecord, 'id' | 'spec'>,
  context: VolumeContext,
): Promise<void> {
  const anonymous = (record.spec?.mounts ?? []).flatMap((m) =>
    m.type === 'volume' && m.anonymous ? [m] : [],
  );
  if (anonymous.length === 0) return;
  for (const mount of anonymous) {
    const lock = await lockVolumes(context.volumes, [mount.name]);
    try {
      // A --volumes-from run may be taking it: read under its lock.
      const users = await volumeUsers(context.state);
      const others = (users.get(mount.name) ?? []).filter((r) => r.id !== record.id);
      if (others.length > 0) continue;
      await (await context.volumes.driver(mount.driver)).remove(mount.name);
      context.log.debug(
        { container: shortContainerId(record.id), volume: mount.name },
        'Remove anonymous volume',
      );
      reportRemoved(context.volumes, mount.name, mount.driver);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      context.log.warn({ volume: mount.name, err: error }, 'Could not remove an anonymous volume');
    } finally {
      lock.release();
    }
  }
}

/** A volume removed: its `destroy` event. */
function reportRemoved(volumes: VolumeDrivers, name: string, driver: string): void {
  volumes.onChange?.({ action: 'destroy', name, driver });
}

export const isAnonymous = (volume: Volume): boolean => ANONYMOUS_VOLUME_LABEL in volume.labels;

/** Bytes under a directory (symlinks not followed): what prune reclaims. */
export async function directorySize(path: string): Promise<number> {
  let total = 0;
  let entries: string[];
  try {
    const stat = await lstat(path);
    if (!stat.isDirectory()) return stat.size;
    entries = await readdir(path);
  } catch {
    return 0;
  }
  for (const entry of entries) total += await directorySize(join(path, entry));
  return total;
}

export interface VolumePruneReport {
  readonly deleted: string[];
  /** Bytes the removed volumes held. */
  readonly reclaimed: number;
}

/**
 * `volume prune` and `system prune --volumes`: the volumes no container uses, anonymous ones
 * only unless `all` (Docker's behaviour since 23.0), that pass `accept` (the filters).
 */
export async function pruneVolumes(
  options: { all: boolean; accept?: (volume: Volume) => boolean },
  context: VolumeContext,
): Promise<VolumePruneReport> {
  const users = await volumeUsers(context.state);
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const driver of await context.volumes.all()) {
    for (const volume of await driver.list()) {
      if ((users.get(volume.name) ?? []).length > 0) continue;
      if (!options.all && !isAnonymous(volume)) continue;
      if (options.accept && !options.accept(volume)) continue;
      // Unused a moment ago: checked again under its lock, as `volume rm` does.
      const lock = await lockVolumes(context.volumes, [volume.name]);
      try {
        if (context.volumes.lock && ((await volumeUsers(context.state)).get(volume.name) ?? []).length > 0)
          continue;
        if (!(await driver.get(volume.name))) continue;
        const size = await directorySize(volume.mountpoint);
        await driver.remove(volume.name);
        context.log.debug({ volume: volume.name, driver: driver.name }, 'Remove volume');
        reportRemoved(context.volumes, volume.name, driver.name);
        deleted.push(volume.name);
        reclaimed += size;
      } finally {
        lock.release();
      }
    }
  }
  return { deleted, reclaimed };
}
