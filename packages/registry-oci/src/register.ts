import { ImageSources, type DriverCatalog } from '@koker/core';

/**
 * The registry source, as discovery sees it: a factory that imports the registry client only
 * once chosen (by a pull): `@koker/registry-oci/register` loads none of it.
 */
export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: ImageSources,
    name: 'oci-registry',
    priority: 80,
    description: 'OCI distribution API v2 (Docker Hub by default)',
    probe: () => ({ usable: true }),
    create: async ({ config, log }) => {
      const { OciRegistrySource } = await import('./driver.js');
      return new OciRegistrySource({
        mirrors: config.registry.mirrors,
        insecure: config.registry.insecure,
        timeouts: config.registry.timeouts,
        log,
      });
    },
  });
}
