import { type Volume, type VolumeCreateRequest } from '@koker/core';
import { type VolumeDrivers } from './volume-drivers.js';

/**
 * A volume made by the named driver and reported to the drivers' `onChange` (its `create`
 * event): `volume create`, the API's, and the volumes a container makes for itself. An existing
 * volume of that name is returned as it is, unreported (as Docker's). `at`: when to report it,
 * if not now.
 */
export async function createVolume(
  volumes: VolumeDrivers,
  driverName: string,
  request: VolumeCreateRequest,
  at?: string,
): Promise<Volume> {
  const driver = await volumes.driver(driverName);
  const existing = await driver.get(request.name);
  if (existing) return existing;
  const volume = await driver.create(request);
  volumes.onChange?.({ action: 'create', name: volume.name, driver: volume.driver, ...(at ? { at } : {}) });
  return volume;
}
