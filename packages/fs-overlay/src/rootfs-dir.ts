import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ContainerId, type DeferredRelease, type Logger, type Syscalls } from '@koker/core';
import { mountsUnder, unmount } from './overlay/unmount.js';

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** A released directory moved aside, waiting for `sweepReleased`: a sibling named with this prefix. */
const RELEASED_PREFIX = '.removing-';

/**
 * Unmounts everything at or beneath a container's rootfs directory (lazily when busy), then
 * removes it, child by child. Returns the paths it could not remove; it never removes anything
 * while a mount is left beneath (that would reach into the layers).
 */
export function releaseDirectory(dir: string, deps: { log: Logger; syscalls: Syscalls }): string[] {
  if (!unmountAll(dir, deps)) return [dir];
  return removeChildByChild(dir, deps);
}

/**
 * `releaseDirectory` in one rename: unmounted, then moved to a sibling `.removing-<name>` that
 * the container's monitor or `sweepReleased` removes later (the container's cleanup, prune), so
 * the caller does not wait for the files to go. Where the rename fails, it is removed now.
 */
export function releaseDirectoryLater(
  dir: string,
  deps: { log: Logger; syscalls: Syscalls },
): DeferredRelease {
  if (!unmountAll(dir, deps)) return { left: [dir], aside: [] };
  const aside = join(dirname(dir), `${RELEASED_PREFIX}${basename(dir)}`);
  try {
    // A leftover of an earlier release of the same ID (a crash between rename and sweep).
    rmSync(aside, { recursive: true, force: true });
    deps.log.debug({ path: dir, to: aside }, 'Move directory aside for removal');
    renameSync(dir, aside);
    return { left: [], aside: [aside] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir))
      return { left: [], aside: [] };
    deps.log.debug({ path: dir, err: error }, 'Cannot move directory aside, remove it now');
    return { left: removeChildByChild(dir, deps), aside: [] };
  }
}

/**
 * Removes the directories `releaseDirectoryLater` moved aside under `parent` (what cannot go is
 * logged, and left for the next sweep); returns the paths removed.
 */
export function sweepReleased(parent: string, deps: { log: Logger; syscalls: Syscalls }): string[] {
  let entries: string[];
  try {
    entries = readdirSync(parent).filter((name) => name.startsWith(RELEASED_PREFIX));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // Another process may sweep at the same time: what it removed first counts for neither.
  return entries
    .map((name) => join(parent, name))
    .filter((path) => existsSync(path) && releaseDirectory(path, deps).length === 0);
}

/** Unmounts everything at or beneath `dir`; false when a mount is left (nothing may be removed then). */
function unmountAll(dir: string, deps: { log: Logger; syscalls: Syscalls }): boolean {
  if (!existsSync(dir)) return true;
  // Deepest first; a mount stacked twice needs two passes.
  for (let pass = 0; pass < 8; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const target of mounts) unmount(target, deps);
  }
  if (mountsUnder(dir).length > 0) {
    deps.log.warn({ dir }, 'Root filesystem still mounted, not removed');
    return false;
  }
  return true;
}

function removeChildByChild(dir: string, deps: { log: Logger }): string[] {
  if (!existsSync(dir)) return [];
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
