import {
  ConfigToken,
  ImageSources,
  LoggerToken,
  type DriverCatalog,
  type KokerConfig,
  type Logger,
} from '@koker/core';
import { OciRegistrySource } from './driver.js';

export { DockerCredentialStore, dockerConfigPath, type Credentials } from './auth/docker-config.js';
export { OciRegistrySource, type OciRegistryOptions } from './driver.js';
export { endpointsFor, isLoopback, type Endpoint } from './endpoints.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: ImageSources,
    name: 'oci-registry',
    priority: 80,
    description: 'OCI distribution API v2 (Docker Hub by default)',
    probe: () => ({ usable: true }),
    create: (container) => {
      const config = container.resolve<KokerConfig>(ConfigToken);
      return new OciRegistrySource({
        mirrors: config.registry.mirrors,
        insecure: config.registry.insecure,
        log: container.resolve<Logger>(LoggerToken),
      });
    },
  });
}
