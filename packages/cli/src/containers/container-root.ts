import { NotFoundError, StateError, Storage, type ContainerRecord } from '@koker/core';
import { holdStoppedContainerFiles, NativeLauncher } from '@koker/engine';
import {
  copyRootfsDirectory,
  openRunningRoot,
  openStoppedRoot,
  rootFromPath,
  type ContainerRoot,
} from '@koker/fs-overlay';
import { nativeHelperPath } from '@koker/host';
import { type CliContext } from '../context.js';
import { lifecycleOf } from './lifecycle.js';

/**
 * How `cp` and `export` reach a container's files:
 * - `live`: a running container through its own mount namespace (`/proc/PID/root`), volumes,
 *   binds and tmpfs mounts included, as `docker cp` sees them; a stopped one through a
 *   writable mount of its root filesystem (its changes go to its upper layer), taken under the
 *   container's lock so `start` waits for the copy: a detached one, or, when the container has
 *   volumes, binds or tmpfs mounts, one with those on it in a private mount namespace held by
 *   a native process (Docker mounts them for the copy too).
 * - `image`: the root filesystem alone, without any mount (`docker export`): a read-only
 *   detached overlay of the upper layer and the image's layers, running or not.
 */
export type RootView = 'live' | 'image';

export async function withContainerRoot<T>(
  ctx: CliContext,
  name: string,
  view: RootView,
  use: (root: ContainerRoot, record: ContainerRecord) => Promise<T>,
): Promise<T> {
  const lifecycle = lifecycleOf(ctx);
  const id = await ctx.state.resolve(name);
  const lock = await ctx.state.lockContainer(id);
  let root: ContainerRoot;
  let record: ContainerRecord;
  let locked = true;
  try {
    const settled = await lifecycle.settleLocked(id);
    if (!settled) throw new NotFoundError(`No such container: ${name}`);
    record = settled;
    const running = (await lifecycle.observe(record)).running && record.pid !== undefined;
    const layerDirs = record.spec?.layerDirs;
    if (view === 'live' && running) {
      root = openRunningRoot(record.pid as number);
      // The descriptor holds the container's root from here: nothing else needs the lock.
      lock.release();
      locked = false;
    } else if (view === 'live' && (record.spec?.mounts?.length ?? 0) > 0) {
      const copy = copyRootfsDirectory(ctx.config.root, id);
      const held = await holdStoppedContainerFiles(record, {
        // The copy driver's root is a directory; overlay's is mounted by the holder, as at a start.
        rootfs: async (layers) =>
          copy
            ? { path: copy }
            : (await ctx.driver(Storage)).prepare(id, layers, { readOnly: false, inContainer: true }),
        volumes: ctx.volumeDrivers(),
        launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
        log: ctx.log,
      });
      try {
        const opened = rootFromPath(held.path, 'held mounts');
        root = {
          ...opened,
          close: () => {
            opened.close();
            return held.release();
          },
        };
      } catch (error) {
        await held.release();
        throw error;
      }
    } else {
      if (!layerDirs)
        throw new StateError(`container ${record.name} has no record of its image layers`, {
          hint: 'it was made by an older koker',
        });
      root = openStoppedRoot({
        root: ctx.config.root,
        id,
        layerDirs,
        writable: view === 'live',
        log: ctx.log,
      });
      if (view === 'image') {
        lock.release();
        locked = false;
      }
    }
    ctx.log.debug({ container: record.name, root: root.source, fd: root.fd }, 'Open container root');
  } catch (error) {
    if (locked) lock.release();
    throw error;
  }
  try {
    return await use(root, record);
  } finally {
    await root.close();
    if (locked) lock.release();
  }
}
