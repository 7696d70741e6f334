import { StateError, type ContainerRecord, type Logger, type PreparedRootfs } from '@koker/core';
import { type NativeLauncher } from '../launch/native-launcher.js';
import { userMountSteps } from './mount-steps.js';
import { type VolumeDrivers } from './volume-drivers.js';

/** A stopped container's files with its volumes, binds and tmpfs mounts, as `docker cp` sees them. */
export interface HeldContainerFiles {
  /** The container's root as a host path, through the holding process's mount namespace. */
  readonly path: string;
  /** Ends the holding process (its namespace and mounts go with it) and the volumes' use. */
  release(): Promise<void>;
}

/**
 * Mounts a stopped container's root and its user mounts in a private mount namespace held by a
 * native process (nothing is mounted on the host), as a start would: each target resolved in the
 * root, never through a symlink out of it. The caller holds the container's lock meanwhile.
 */
export async function holdStoppedContainerFiles(
  record: ContainerRecord,
  deps: {
    /** The root to mount: an overlay for the launcher to mount, or a directory (the copy driver's). */
    rootfs: (layerDirs: readonly string[]) => Promise<Pick<PreparedRootfs, 'path' | 'overlay'>>;
    volumes?: VolumeDrivers;
    launcher: NativeLauncher;
    log: Logger;
  },
): Promise<HeldContainerFiles> {
  const { id } = record;
  const spec = record.spec;
  if (!spec)
    throw new StateError(`container ${record.name} has no record of its image layers`, {
      hint: 'it was made by an older koker',
    });
  const mounted: { name: string; driver: string }[] = [];
  const unmountVolumes = async () => {
    for (const { name, driver } of mounted.reverse())
      await (await deps.volumes?.driver(driver))?.unmount(name, id);
  };
  try {
    const rootfs = await deps.rootfs(spec.layerDirs);
    // A copy needs no propagation (nor the host's mount to still allow it).
    const mounts = (spec.mounts ?? []).map((m) =>
      m.type === 'bind' ? { ...m, propagation: 'rprivate' as const } : m,
    );
    const steps = await userMountSteps(id, mounts, {
      ...(deps.volumes ? { volumes: deps.volumes } : {}),
      log: deps.log,
      onMounted: (name, driver) => mounted.push({ name, driver }),
    });
    deps.log.debug({ container: record.name, mounts: steps.length }, 'Hold container mounts');
    const process = await deps.launcher.hold({
      rootfs: rootfs.path,
      ...(rootfs.overlay ? { rootfsOverlay: rootfs.overlay } : {}),
      mounts: steps,
    });
    return {
      path: `/proc/${process.pid}/root${rootfs.path}`,
      release: async () => {
        process.kill('SIGKILL');
        await process.wait().catch(() => undefined);
        await unmountVolumes();
      },
    };
  } catch (error) {
    await unmountVolumes();
    throw error;
  }
}
