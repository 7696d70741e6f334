import { type HeldLock, type VolumeDriver } from '@koker/core';

/** The volume drivers of this invocation, by name (`local`, or a third party's). */
export interface VolumeDrivers {
  /** The driver of that name; rejects when there is none (or it cannot be used here). */
  driver(name: string): Promise<VolumeDriver>;
  /** Every usable volume driver, for `volume ls` and `prune`. */
  all(): Promise<VolumeDriver[]>;
  /**
   * Exclusive locks on these volume names, across koker processes (fileVolumeLocks): held
   * while a container takes a volume (created, filled, recorded as its user) or one is removed.
   */
  lock?(names: readonly string[]): Promise<HeldLock>;
  /**
   * Told of each volume the engine makes or removes through these drivers (a container's
   * implicit volumes, `rm -v`, `volume rm`, prune): the caller's events journal.
   */
  onChange?(change: VolumeChange): void;
}

/** A volume made or removed: Docker's volume `create` and `destroy` events. */
export interface VolumeChange {
  readonly action: 'create' | 'destroy';
  readonly name: string;
  readonly driver: string;
  /** When, if not now (ISO 8601). */
  readonly at?: string;
}

export const DEFAULT_VOLUME_DRIVER = 'local';
