import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ContainerId, type Logger, type Syscalls } from '@koker/core';
import { mountsUnder, unmount } from './overlay/unmount.js';

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/**
 * Unmounts everything at or beneath a container's rootfs directory (lazily when busy), then
 * removes it, child by child. Returns the paths it could not remove; it never removes anything
 * while a mount is left beneath (that would reach into the layers).
 */
export function releaseDirectory(dir: string, deps: { log: Logger; syscalls: Syscalls }): string[] {
  if (!existsSync(dir)) return [];
  // Deepest first; a mount stacked twice needs two passes.
  for (let pass = 0; pass < 8; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const target of mounts) unmount(target, deps);
  }
  if (mountsUnder(dir).length > 0) {
    deps.log.warn({ dir }, 'Root filesystem still mounted, not removed');
    return [dir];
  }
  const left: string[] = [];
  for (const path of [...readdirSync(dir).map((child) => join(dir, child)), dir]) {
    try {
      deps.log.debug({ path }, 'Remove directory');
      rmSync(path, { recursive: true, force: true });
    } catch (error) {
      deps.log.warn({ path, err: error }, 'Cannot remove directory');
      left.push(path);
    }
  }
  return left.length > 1 ? left.filter((path) => path !== dir) : left;
}

/** Container IDs that have a directory under `parent`. */
export function containerIdsIn(parent: string): ContainerId[] {
  try {
    return readdirSync(parent).filter((name) => CONTAINER_ID.test(name)) as ContainerId[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
