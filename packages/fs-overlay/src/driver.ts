import { type Readable } from 'node:stream';
import {
  NotImplementedError,
  type AppliedLayer,
  type ApplyOptions,
  type ContainerId,
  type PreparedRootfs,
  type StorageDriver,
} from '@koker/core';

/** Layers applied to directories, a container's root as an overlayfs mount over them. */
export class OverlayStorageDriver implements StorageDriver {
  readonly name = 'overlay';

  async applyLayer(_stream: Readable, _options: ApplyOptions): Promise<AppliedLayer> {
    throw new NotImplementedError('the overlay layer applier');
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
