import {
  ConfigToken,
  LoggerToken,
  Storage,
  SyscallsToken,
  type DriverCatalog,
  type DriverRegistration,
  type KokerConfig,
  type Logger,
  type Syscalls,
} from '@koker/core';
import { probeCopy } from './copy/copy-probe.js';
import { type OverlayDriverDeps } from './driver.js';
import { probe } from './probe.js';

type Container = Parameters<DriverRegistration<unknown>['create']>[0];

function deps(container: Container): OverlayDriverDeps {
  return {
    config: container.resolve<KokerConfig>(ConfigToken),
    log: container.resolve<Logger>(LoggerToken),
    syscalls: container.resolve<Syscalls>(SyscallsToken),
  };
}

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
    create: async (container) => new (await import('./driver.js')).OverlayStorageDriver(deps(container)),
  });
  catalog.add({
    contract: Storage,
    name: 'copy',
    priority: 10,
    description: 'a full copy of the layers per container (fallback without overlayfs)',
    probe: probeCopy,
    create: async (container) =>
      new (await import('./copy/copy-driver.js')).CopyStorageDriver(deps(container)),
  });
}
