import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, shortContainerId, type ContainerId, type Logger } from '@koker/core';
import { O } from '../kernel/at-calls.js';
import { containerDirs } from '../overlay/container-dirs.js';
import { FsContext } from '../overlay/mount-api.js';

/**
 * A container's root directory as a descriptor: every path of the container is resolved from
 * it (openat2 RESOLVE_IN_ROOT), never as a host path. Close it when done: for a stopped overlay
 * container it holds the only reference to a detached mount.
 */
export interface ContainerRoot {
  readonly fd: number;
  /** What it is, for logs: `/proc/PID/root`, `detached overlay`, a directory. */
  readonly source: string;
  /** Ends the view (a held namespace ends asynchronously). */
  close(): void | Promise<void>;
}

/** A root directory given by path (a copy-driver rootfs, a root held in another namespace). */
export function rootFromPath(path: string, source = path): ContainerRoot {
  const fd = openSync(path, O.PATH | O.DIRECTORY | O.CLOEXEC);
  return { fd, source, close: () => closeSync(fd) };
}

/**
 * A running container's root as its own mount namespace shows it (`/proc/PID/root`): its
 * volumes, binds and tmpfs mounts included, as `docker cp` sees them.
 */
export function openRunningRoot(pid: number): ContainerRoot {
  try {
    return rootFromPath(`/proc/${pid}/root`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`the container's process ${pid} is gone`);
    throw error;
  }
}

export interface StoppedRootOptions {
  /** koker's root directory. */
  readonly root: string;
  readonly id: ContainerId;
  /** The image's layer directories, topmost first. */
  readonly layerDirs: readonly string[];
  /**
   * Writable (the container's upper layer takes the changes, as the container would), or a
   * read-only view of upper + layers that needs no work directory and never conflicts with a
   * running container's own mount of the same upper layer (export of a running container).
   */
  readonly writable: boolean;
  readonly log: Logger;
}

/**
 * The root filesystem of a container that has no mount on the host: for overlay, a detached
 * overlay mount (fsopen/fsmount, never attached to the host's tree) over its layers and upper
 * directory; for the copy driver, its rootfs directory. The caller holds the container's lock
 * while a writable one is open, so `start` cannot mount the same upper layer meanwhile.
 */
export function openStoppedRoot(options: StoppedRootOptions): ContainerRoot {
  const { root, id, log } = options;
  const copyRootfs = join(root, 'copy', id, 'rootfs');
  if (existsSync(copyRootfs)) return rootFromPath(copyRootfs);
  const dirs = containerDirs(root, id);
  if (!existsSync(dirs.upper))
    throw new NotFoundError(`container ${shortContainerId(id)} has no root filesystem`);
  const context = new FsContext('overlay');
  try {
    log.debug({ fstype: 'overlay', fd: context.fd }, 'Open filesystem context');
    // overlayfs needs a lower layer: an image without layers had an empty one made by prepare.
    const layers = options.layerDirs.length > 0 ? options.layerDirs : [join(dirs.dir, 'empty')];
    const lowers = options.writable ? layers : [dirs.upper, ...layers];
    for (const lower of lowers) context.setString('lowerdir+', lower);
    if (options.writable) {
      context.setString('upperdir', dirs.upper);
      context.setString('workdir', dirs.work);
    }
    context.create();
    const fd = context.detachedMount(!options.writable);
    log.debug(
      { container: shortContainerId(id), fd, layers: lowers.length, writable: options.writable },
      'Mount root filesystem detached',
    );
    return { fd, source: 'detached overlay', close: () => closeSync(fd) };
  } finally {
    context.close();
  }
}

/** A container's full copy of its image (the copy driver), for `diff`; undefined for overlay. */
export function copyRootfsDirectory(root: string, id: ContainerId): string | undefined {
  const rootfs = join(root, 'copy', id, 'rootfs');
  return existsSync(rootfs) ? rootfs : undefined;
}

/** A container's overlay upper directory, for `diff`; undefined for the copy driver. */
export function upperDirectory(root: string, id: ContainerId): string | undefined {
  const { upper } = containerDirs(root, id);
  return existsSync(upper) ? upper : undefined;
}
