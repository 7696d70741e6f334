import {
  ConfigToken,
  LoggerToken,
  Storage,
  SyscallsToken,
  type DriverCatalog,
  type KokerConfig,
  type Logger,
  type Syscalls,
} from '@koker/core';
import { OverlayStorageDriver } from './driver.js';
import { probe } from './probe.js';

export { OverlayStorageDriver, type OverlayDriverDeps } from './driver.js';
export { probe } from './probe.js';
export { applyLayer, DEFAULT_LAYER_LIMITS, type ApplierSettings } from './apply/apply-layer.js';
export { type ZstdDecoder } from './apply/decompress.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Storage,
    name: 'overlay',
    priority: 80,
    description: 'overlayfs over layer directories',
    probe,
    create: (container) =>
      new OverlayStorageDriver({
        config: container.resolve<KokerConfig>(ConfigToken),
        log: container.resolve<Logger>(LoggerToken),
        syscalls: container.resolve<Syscalls>(SyscallsToken),
      }),
  });
}
