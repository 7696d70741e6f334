import { statSync } from 'node:fs';
import {
  NotFoundError,
  type ContainerId,
  type ContainerMount,
  type LaunchPlan,
  type Logger,
  type MountStep,
} from '@koker/core';
import { checkBindPropagation } from './bind-propagation.js';
import { type VolumeDrivers } from './volume-drivers.js';

const depth = (path: string) => path.split('/').filter(Boolean).length;

/**
 * The launcher's steps for the container's mounts, parents before children (a volume at /data
 * then a bind at /data/in), each volume asked of its driver for what to mount. `onMounted` is
 * told each volume mounted, so the caller unmounts it at the container's end.
 */
export async function userMountSteps(
  id: ContainerId,
  mounts: readonly ContainerMount[],
  context: { volumes?: VolumeDrivers; log: Logger; onMounted?: (name: string, driver: string) => void },
): Promise<MountStep[]> {
  const steps: MountStep[] = [];
  const ordered = [...mounts].sort((a, b) => depth(a.target) - depth(b.target));
  for (const mount of ordered) {
    const ro = mount.readOnly ? ['ro'] : [];
    if (mount.type === 'tmpfs') {
      context.log.debug({ target: mount.target, flags: mount.flags, data: mount.data }, 'Mount tmpfs');
      steps.push({
        source: 'tmpfs',
        target: mount.target,
        fstype: 'tmpfs',
        flags: mount.flags,
        data: mount.data,
      });
    } else if (mount.type === 'bind') {
      const stat = statSync(mount.source, { throwIfNoEntry: false });
      if (!stat)
        throw new NotFoundError(`bind source path does not exist: ${mount.source}`, {
          hint: 'it was there when the container was created: create it again, or remove the container',
        });
      checkBindPropagation(mount.source, mount.propagation);
      context.log.debug(
        {
          source: mount.source,
          target: mount.target,
          readOnly: mount.readOnly,
          propagation: mount.propagation,
        },
        'Bind host path',
      );
      steps.push({
        source: mount.source,
        target: mount.target,
        fstype: '',
        flags: ['bind', 'rec', ...ro],
        targetType: stat.isDirectory() ? 'directory' : 'file',
        ...(mount.propagation !== 'rprivate' ? { propagation: mount.propagation } : {}),
      });
    } else {
      if (!context.volumes) throw new NotFoundError(`no volume driver to mount volume ${mount.name}`);
      const driver = await context.volumes.driver(mount.driver);
      const source = await driver.mount(mount.name, id);
      context.onMounted?.(mount.name, mount.driver);
      context.log.debug({ volume: mount.name, driver: mount.driver, target: mount.target }, 'Mount volume');
      steps.push(
        source.kind === 'bind'
          ? {
              source: source.path,
              target: mount.target,
              fstype: '',
              flags: ['bind', 'rec', ...ro],
              targetType: statSync(source.path).isDirectory() ? 'directory' : 'file',
              ...(mount.noCopy ? {} : { copyUp: true }),
            }
          : {
              source: source.device,
              target: mount.target,
              fstype: source.fstype,
              flags: [...source.flags, ...ro],
              data: source.data,
            },
      );
    }
  }
  return steps;
}

/**
 * The container's tree starts `rslave` when a bind asks for a propagation other than private,
 * so the host's mounts below its source reach the container; never shared with the host (the
 * rootfs and koker's own mounts would propagate back), so `rshared` shares among the
 * container's own mounts only.
 */
export function rootPropagation(
  mounts: readonly ContainerMount[],
): NonNullable<LaunchPlan['rootPropagation']> {
  return mounts.some((m) => m.type === 'bind' && m.propagation !== 'rprivate' && m.propagation !== 'private')
    ? 'rslave'
    : 'rprivate';
}
