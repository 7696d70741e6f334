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
import { CopyStorageDriver } from './copy/copy-driver.js';
import { probeCopy } from './copy/copy-probe.js';
import { OverlayStorageDriver, type OverlayDriverDeps } from './driver.js';
import { probe } from './probe.js';

export { OverlayStorageDriver, type OverlayDriverDeps } from './driver.js';
export { CopyStorageDriver } from './copy/copy-driver.js';
export { probe } from './probe.js';
export { probeCopy } from './copy/copy-probe.js';
export { applyLayer, DEFAULT_LAYER_LIMITS, type ApplierSettings } from './apply/apply-layer.js';
export { type ZstdDecoder } from './apply/decompress.js';
export { type MountMethod } from './overlay/overlay-mount.js';

type Container = Parameters<DriverRegistration<unknown>['create']>[0];

function deps(container: Container): OverlayDriverDeps {
  return {
    config: container.resolve<KokerConfig>(ConfigToken),
    log: container.resolve<Logger>(LoggerToken),
    syscalls: container.resolve<Syscalls>(SyscallsToken),
  };
}

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Storage,
    name: 'overlay',
    priority: 80,
    description: 'overlayfs over layer directories',
    probe,
    create: (container) => new OverlayStorageDriver(deps(container)),
  });
  catalog.add({
    contract: Storage,
    name: 'copy',
    priority: 10,
    description: 'a full copy of the layers per container (fallback without overlayfs)',
    probe: probeCopy,
    create: (container) => new CopyStorageDriver(deps(container)),
  });
}
