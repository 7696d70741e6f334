import { Storage, type DriverCatalog } from '@koker/core';
import { OverlayStorageDriver } from './driver.js';
import { probe } from './probe.js';

export { OverlayStorageDriver } from './driver.js';
export { probe } from './probe.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Storage,
    name: 'overlay',
    priority: 80,
    description: 'overlayfs over layer directories',
    probe,
    create: () => new OverlayStorageDriver(),
  });
}
