import { Storage, type DriverCatalog } from '@koker/core';
import { probeCopy } from './copy/copy-probe.js';
import { probe } from './probe.js';

/**
 * The storage drivers, as discovery sees them: names, probes, and factories that import the
 * drivers' code only once chosen (`@koker/fs-overlay/register` loads none of it), so `koker ps`
 * never loads mount code and `koker run` never loads the layer applier.
 */
export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Storage,
    name: 'overlay',
    priority: 80,
    description: 'overlayfs over layer directories',
    probe,
    create: async (context) => new (await import('./driver.js')).OverlayStorageDriver(context),
  });
  catalog.add({
    contract: Storage,
    name: 'copy',
    priority: 10,
    description: 'a full copy of the layers per container (fallback without overlayfs)',
    probe: probeCopy,
    create: async (context) => new (await import('./copy/copy-driver.js')).CopyStorageDriver(context),
  });
}
