import { closeSync, constants, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { type Readable } from 'node:stream';
import {
  ConflictError,
  InvalidValueError,
  MountFlag,
  shortContainerId,
  type AppliedLayer,
  type ApplyOptions,
  type ContainerId,
  type DeferredRelease,
  type PreparedRootfs,
  type StorageDriver,
} from '@koker/core';
import { applyLayer } from '../apply/apply-layer.js';
import { LayerWriter } from '../apply/layer-writer.js';
import { type OverlayDriverDeps } from '../driver.js';
import { mountsUnder, unmountUnder } from '../overlay/unmount.js';
import { containerIdsIn, releaseDirectory, releaseDirectoryLater, sweepReleased } from '../rootfs-dir.js';
import { replayLayer } from './layer-entries.js';

/**
 * The fallback where overlayfs cannot be used (as Docker's vfs driver): each container gets a
 * full copy of its image's layers, flattened bottom-up with whiteouts applied, under
 * `<root>/copy/<id>/rootfs`, bind-mounted onto itself (read-only when asked). Slow to prepare
 * and heavy on disk, but it needs nothing from the kernel beyond a bind mount.
 */
export class CopyStorageDriver implements StorageDriver {
  readonly name = 'copy';

  constructor(private readonly deps: Omit<OverlayDriverDeps, 'mountMethod'>) {}

  applyLayer(stream: Readable, options: ApplyOptions): Promise<AppliedLayer> {
    return applyLayer(stream, options, { ...this.deps.applier, log: this.deps.log });
  }

  async prepare(
    id: ContainerId,
    layerDirs: readonly string[],
    options: { readOnly: boolean },
  ): Promise<PreparedRootfs> {
    const { log, syscalls } = this.deps;
    const dir = join(this.deps.config.root, 'copy', id);
    const rootfs = join(dir, 'rootfs');
    for (const layer of layerDirs) {
      if (!isAbsolute(layer)) throw new InvalidValueError('layer directory', layer, 'must be absolute');
    }
    if (mountsUnder(rootfs).length > 0) {
      throw new ConflictError(`the root filesystem of container ${shortContainerId(id)} is mounted already`);
    }
    if (!existsSync(rootfs)) {
      // Built aside and renamed: a crash mid-copy never leaves a rootfs that looks complete.
      const partial = join(dir, 'rootfs.partial');
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      mkdirSync(partial, { mode: 0o755 });
      try {
        this.flatten([...layerDirs].reverse(), partial);
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      renameSync(partial, rootfs);
    }
    // A mount point of its own, as pivot_root(2) wants, and the place to make it read-only.
    log.debug({ source: rootfs, target: rootfs }, 'Mount target');
    syscalls.mount(rootfs, rootfs, 'none', MountFlag.bind);
    if (options.readOnly) {
      log.debug({ target: rootfs }, 'Remount target read-only');
      syscalls.mount(rootfs, rootfs, 'none', MountFlag.bind | MountFlag.remount | MountFlag.ro);
    }
    return { path: rootfs, readOnly: options.readOnly };
  }

  private flatten(bottomFirst: readonly string[], target: string): void {
    const rootFd = openSync(target, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (const layerDir of bottomFirst) {
        this.deps.log.debug({ layer: layerDir, target }, 'Copy layer');
        const writer = new LayerWriter({
          rootFd,
          log: this.deps.log,
          layer: basename(layerDir),
          maxEntries: Number.MAX_SAFE_INTEGER,
          preserveOwners: this.deps.applier?.preserveOwners ?? process.geteuid?.() === 0,
          whiteouts: 'remove',
        });
        try {
          replayLayer(layerDir, writer);
          writer.finish();
        } finally {
          writer.close();
        }
      }
    } finally {
      closeSync(rootFd);
    }
  }

  async release(id: ContainerId): Promise<string[]> {
    const dir = join(this.deps.config.root, 'copy', id);
    this.deps.log.debug({ container: shortContainerId(id), dir }, 'Release root filesystem');
    return releaseDirectory(dir, this.deps);
  }

  async releaseLater(id: ContainerId): Promise<DeferredRelease> {
    const dir = join(this.deps.config.root, 'copy', id);
    this.deps.log.debug({ container: shortContainerId(id), dir }, 'Release root filesystem');
    return releaseDirectoryLater(dir, this.deps);
  }

  async sweep(): Promise<string[]> {
    return sweepReleased(join(this.deps.config.root, 'copy'), this.deps);
  }

  async unmount(id: ContainerId): Promise<void> {
    const dir = join(this.deps.config.root, 'copy', id);
    this.deps.log.debug({ container: shortContainerId(id), dir }, 'Unmount root filesystem, keep its files');
    unmountUnder(dir, this.deps);
  }

  async list(): Promise<ContainerId[]> {
    return containerIdsIn(join(this.deps.config.root, 'copy'));
  }
}
