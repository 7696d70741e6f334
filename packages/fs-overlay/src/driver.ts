import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type Readable } from 'node:stream';
import {
  ConflictError,
  InvalidValueError,
  shortContainerId,
  type AppliedLayer,
  type ApplyOptions,
  type ContainerId,
  type DeferredRelease,
  type KokerConfig,
  type Logger,
  type OverlayMount,
  type PrepareOptions,
  type PreparedRootfs,
  type StorageDriver,
  type Syscalls,
} from '@koker/core';
import { type ApplierSettings } from './apply/apply-layer.js';
import { containerDirs, overlayRoot } from './overlay/container-dirs.js';
import { readMergedFile } from './overlay/merged-read.js';
import {
  legacyMountData,
  mountOverlay,
  type MountMethod,
  type OverlayLayout,
} from './overlay/overlay-mount.js';
import { mountsUnder, unmountUnder } from './overlay/unmount.js';
import { containerIdsIn, releaseDirectory, releaseDirectoryLater, sweepReleased } from './rootfs-dir.js';

export interface OverlayDriverDeps {
  readonly config: KokerConfig;
  readonly log: Logger;
  readonly syscalls: Syscalls;
  /** Applier settings beyond the logger (limits, zstd decoder, owners). */
  readonly applier?: Omit<ApplierSettings, 'log'>;
  /** How layers are handed to the kernel; `auto` prefers `lowerdir+` where the kernel has it. */
  readonly mountMethod?: MountMethod;
}

/**
 * Layers applied to directories (overlayfs' whiteout form), a container's root as an overlayfs
 * mount over them: `<root>/overlay/<id>/{upper,work,merged}`, merged being the root.
 */
export class OverlayStorageDriver implements StorageDriver {
  readonly name: string = 'overlay';

  constructor(protected readonly deps: OverlayDriverDeps) {}

  async applyLayer(stream: Readable, options: ApplyOptions): Promise<AppliedLayer> {
    // The applier (tar parser, decompressors, the openat2 calls) is loaded by pulls and loads only.
    const { applyLayer } = await import('./apply/apply-layer.js');
    return applyLayer(stream, options, { ...this.deps.applier, log: this.deps.log });
  }

  async prepare(
    id: ContainerId,
    layerDirs: readonly string[],
    options: PrepareOptions,
  ): Promise<PreparedRootfs> {
    const { log } = this.deps;
    const dirs = containerDirs(this.deps.config.root, id);
    for (const layer of layerDirs) {
      if (!isAbsolute(layer) || !isDirectory(layer)) {
        throw new InvalidValueError('layer directory', layer, 'must be an existing absolute directory');
      }
    }
    if (mountsUnder(dirs.merged).length > 0) {
      throw new ConflictError(`the root filesystem of container ${shortContainerId(id)} is mounted already`);
    }
    const created = !existsSync(dirs.dir);
    mkdirSync(overlayRoot(this.deps.config.root), { recursive: true, mode: 0o700 });
    // An existing upper directory is kept: a restarted container finds its changes again.
    // The container's directory is root's alone: its upper layer holds the container's files.
    mkdirSync(dirs.dir, { recursive: true, mode: 0o700 });
    for (const dir of [dirs.upper, dirs.work, dirs.merged]) mkdirSync(dir, { recursive: true, mode: 0o755 });
    rmSync(join(dirs.dir, 'l'), { recursive: true, force: true });
    let lowers = layerDirs;
    if (lowers.length === 0) {
      // overlayfs needs a lower layer; an image without layers gets an empty one.
      lowers = [join(dirs.dir, 'empty')];
      mkdirSync(lowers[0]!, { recursive: true, mode: 0o755 });
    }
    log.debug(
      {
        container: shortContainerId(id),
        layers: lowers.length,
        readOnly: options.readOnly,
        inContainer: options.inContainer ?? false,
      },
      'Prepare root filesystem',
    );
    const layout: OverlayLayout = {
      lowers,
      upper: dirs.upper,
      work: dirs.work,
      target: dirs.merged,
      readOnly: options.readOnly,
      volatile: options.volatile ?? false,
      containerDir: dirs.dir,
    };
    try {
      if (options.inContainer) return this.forLauncher(layout);
      const method = mountOverlay(layout, this.deps.mountMethod ?? 'auto', this.deps);
      log.debug({ container: shortContainerId(id), target: dirs.merged, method }, 'Mounted root filesystem');
    } catch (error) {
      if (created) rmSync(dirs.dir, { recursive: true, force: true });
      throw error;
    }
    return { path: dirs.merged, readOnly: options.readOnly };
  }

  /**
   * The overlay for the launcher to mount in the container's own mount namespace: the legacy
   * data is prepared too (kernels before 6.8), and the image's files are read from the layers.
   */
  private forLauncher(layout: OverlayLayout): PreparedRootfs {
    let legacy: OverlayMount['legacy'];
    try {
      legacy = legacyMountData(layout, this.deps.log);
    } catch (error) {
      // Only a kernel without lowerdir+ needs it; the launcher says so if it does.
      if (!(error instanceof InvalidValueError)) throw error;
    }
    const overlay: OverlayMount = {
      lowerDirs: layout.lowers,
      upperDir: layout.upper,
      workDir: layout.work,
      volatile: layout.volatile ?? false,
      ...(legacy ? { legacy } : {}),
    };
    const layers = [layout.upper, ...layout.lowers];
    return {
      path: layout.target,
      readOnly: layout.readOnly,
      overlay,
      readFile: (path) => readMergedFile(layers, path),
    };
  }

  async release(id: ContainerId): Promise<string[]> {
    const dirs = containerDirs(this.deps.config.root, id);
    this.deps.log.debug({ container: shortContainerId(id), dir: dirs.dir }, 'Release root filesystem');
    return releaseDirectory(dirs.dir, this.deps);
  }

  async releaseLater(id: ContainerId): Promise<DeferredRelease> {
    const dirs = containerDirs(this.deps.config.root, id);
    this.deps.log.debug({ container: shortContainerId(id), dir: dirs.dir }, 'Release root filesystem');
    return releaseDirectoryLater(dirs.dir, this.deps);
  }

  async sweep(): Promise<string[]> {
    return sweepReleased(overlayRoot(this.deps.config.root), this.deps);
  }

  async unmount(id: ContainerId): Promise<void> {
    const dirs = containerDirs(this.deps.config.root, id);
    this.deps.log.debug(
      { container: shortContainerId(id), dir: dirs.dir },
      'Unmount root filesystem, keep its files',
    );
    unmountUnder(dirs.dir, this.deps);
  }

  async list(): Promise<ContainerId[]> {
    return containerIdsIn(overlayRoot(this.deps.config.root));
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
