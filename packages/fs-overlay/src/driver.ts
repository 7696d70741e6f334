import { type Readable } from 'node:stream';
import {
  NotImplementedError,
  type AppliedLayer,
  type ApplyOptions,
  type ContainerId,
  type KokerConfig,
  type Logger,
  type PreparedRootfs,
  type StorageDriver,
  type Syscalls,
} from '@koker/core';
import { applyLayer, type ApplierSettings } from './apply/apply-layer.js';

export interface OverlayDriverDeps {
  readonly config: KokerConfig;
  readonly log: Logger;
  readonly syscalls: Syscalls;
  /** Applier settings beyond the logger (limits, zstd decoder, owners). */
  readonly applier?: Omit<ApplierSettings, 'log'>;
}

/** Layers applied to directories, a container's root as an overlayfs mount over them. */
export class OverlayStorageDriver implements StorageDriver {
  readonly name = 'overlay';

  constructor(private readonly deps: OverlayDriverDeps) {}

  applyLayer(stream: Readable, options: ApplyOptions): Promise<AppliedLayer> {
    return applyLayer(stream, options, { ...this.deps.applier, log: this.deps.log });
  }

  async prepare(
    _id: ContainerId,
    _layerDirs: readonly string[],
    _options: { readOnly: boolean },
  ): Promise<PreparedRootfs> {
    throw new NotImplementedError('the overlay rootfs');
  }

  async release(_id: ContainerId): Promise<string[]> {
    return [];
  }
}
