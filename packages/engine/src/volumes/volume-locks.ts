import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ContainerMount, type HeldLock, type Logger } from '@koker/core';
import { acquireFileLock } from '@koker/host';
import { type VolumeDrivers } from './volume-drivers.js';

/** A first start copying a large image directory into a volume may take a while. */
const VOLUME_LOCK_TIMEOUT_MS = 120_000;

const NO_LOCK: HeldLock = { release: () => undefined };

/**
 * One exclusive flock per volume name under `dir` (koker's root), whatever its driver: taken by
 * whoever creates, fills (copy-up) and starts a container on a volume until that container's
 * record names it, and by whoever removes one while checking no record does. So two runs on a
 * new volume copy the image into it once, and a volume is never removed between a run
 * choosing it and its container being recorded as its user. Taken in name order (no deadlock).
 */
export function fileVolumeLocks(dir: string, log: Logger): NonNullable<VolumeDrivers['lock']> {
  return async (names) => {
    const sorted = [...new Set(names)].sort();
    if (sorted.length === 0) return NO_LOCK;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const held: HeldLock[] = [];
    try {
      for (const name of sorted) {
        held.push(
          await acquireFileLock(join(dir, `${name}.lock`), {
            timeoutMs: VOLUME_LOCK_TIMEOUT_MS,
            removeOnRelease: true,
            log,
            what: `volume ${name}`,
          }),
        );
      }
    } catch (error) {
      for (const lock of held.reverse()) lock.release();
      throw error;
    }
    log.debug({ volumes: sorted }, 'Lock volumes');
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const lock of held.reverse()) lock.release();
      },
    };
  };
}

/** The volumes' locks, when the drivers have them (a test's fake may not). */
export function lockVolumes(volumes: VolumeDrivers | undefined, names: readonly string[]): Promise<HeldLock> {
  return volumes?.lock && names.length > 0 ? volumes.lock(names) : Promise.resolve(NO_LOCK);
}

/** The volumes a container mounts, by name. */
export function volumeNamesOf(mounts: readonly ContainerMount[]): string[] {
  return mounts.flatMap((m) => (m.type === 'volume' ? [m.name] : []));
}
