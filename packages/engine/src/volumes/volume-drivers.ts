import { type VolumeDriver } from '@koker/core';

/** The volume drivers of this invocation, by name (`local`, or a third party's). */
export interface VolumeDrivers {
  /** The driver of that name; rejects when there is none (or it cannot be used here). */
  driver(name: string): Promise<VolumeDriver>;
  /** Every usable volume driver, for `volume ls` and `prune`. */
  all(): Promise<VolumeDriver[]>;
}

export const DEFAULT_VOLUME_DRIVER = 'local';
