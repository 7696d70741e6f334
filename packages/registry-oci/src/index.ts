import { ImageSources, type DriverCatalog } from '@koker/core';
import { OciRegistrySource } from './driver.js';

export { OciRegistrySource } from './driver.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: ImageSources,
    name: 'oci-registry',
    priority: 80,
    description: 'OCI distribution API v2 (Docker Hub by default)',
    probe: () => ({ usable: true }),
    create: () => new OciRegistrySource(),
  });
}
