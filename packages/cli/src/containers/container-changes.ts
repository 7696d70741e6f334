import { NotFoundError, StateError } from '@koker/core';
import {
  copyChanges,
  copyRootfsDirectory,
  overlayChanges,
  upperDirectory,
  type Change,
} from '@koker/fs-overlay';
import { type CliContext } from '../context.js';
import { lifecycleOf } from './lifecycle.js';

/**
 * What the launcher mounts over (engine's launch plan: /proc, /dev, /sys, the DNS and host
 * files): made in the upper layer when the image lacks them, they are not the container's changes.
 */
export const RUNTIME_MOUNT_TARGETS = [
  '/proc',
  '/dev',
  '/sys',
  '/etc/resolv.conf',
  '/etc/hostname',
  '/etc/hosts',
];

/** A container's changes against its image (`koker diff`, the API's `changes`). */
export async function containerChanges(ctx: CliContext, container: string): Promise<Change[]> {
  const id = await ctx.state.resolve(container);
  const record = await lifecycleOf(ctx).settle(id);
  if (!record) throw new NotFoundError(`No such container: ${container}`);
  // overlay: its upper directory, mounted or not; the copy driver: its copy against the image.
  const layerDirs = record.spec?.layerDirs;
  const upper = upperDirectory(ctx.config.root, id);
  const copy = upper ? undefined : copyRootfsDirectory(ctx.config.root, id);
  const options = { mountTargets: RUNTIME_MOUNT_TARGETS };
  ctx.log.debug({ container: record.name, ...(upper ? { upper } : { copy }) }, 'Read container changes');
  const changes = !layerDirs
    ? undefined
    : upper
      ? overlayChanges(upper, layerDirs, options)
      : copy
        ? copyChanges(copy, layerDirs, options)
        : undefined;
  if (!changes)
    throw new StateError(`the changes of container ${record.name} are not known`, {
      hint: 'its root filesystem is gone, or it was made by an older koker',
    });
  return changes;
}
