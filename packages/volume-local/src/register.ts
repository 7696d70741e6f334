import { Volumes, type DriverCatalog } from '@koker/core';

/** The `local` volume driver, as discovery sees it; its code is imported only when a volume is used. */
export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Volumes,
    name: 'local',
    priority: 50,
    description: 'directories under the koker root, or a device, tmpfs or path given with --opt',
    // Directories under the root work on any host; a device is checked when it is mounted.
    probe: () => ({ usable: true }),
    create: async (context) => new (await import('./driver.js')).LocalVolumeDriver(context),
  });
}
