import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { DEFAULT_ROOT, InvalidValueError } from '@koker/core';

/** A mounted hierarchy: where it is mounted and which cgroup path its mount point shows. */
export interface HierarchyMount {
  readonly mountPoint: string;
  /** `/` normally; a subtree when only part of the hierarchy is mounted (inside containers). */
  readonly root: string;
}

/** Where koker's container cgroups go in one hierarchy. */
export interface CgroupParent {
  /** Path inside the hierarchy, as `/proc/<pid>/cgroup` shows it. */
  readonly cgroupPath: string;
  /** The directory under the mount point. */
  readonly directory: string;
}

/**
 * The default name of the parent cgroup: `koker` for the default root, `koker-<8 hex>` derived
 * from any other root. Each root thus owns its own parent, so garbage collection of one root
 * (a test run's temporary root, say) never touches another's containers.
 */
export function defaultCgroupParentName(kokerRoot: string): string {
  if (kokerRoot === DEFAULT_ROOT) return 'koker';
  return `koker-${createHash('sha256').update(kokerRoot).digest('hex').slice(0, 8)}`;
}

const SAFE = /^\/?[A-Za-z0-9_.@:-]+(\/[A-Za-z0-9_.@:-]+)*$/;

/** Checks a configured parent (`cgroupParent`, `KOKER_CGROUP_PARENT`): no `..`, no odd characters. */
export function checkCgroupParentSetting(setting: string): string {
  if (!SAFE.test(setting) || setting.split('/').some((part) => part === '.' || part === '..')) {
    throw new InvalidValueError(
      'cgroup parent',
      setting,
      'expected a cgroup name (next to koker\'s own cgroup) or an absolute cgroup path, of letters, digits and "_.@:-"',
    );
  }
  return setting;
}

/**
 * Resolves the parent in one hierarchy. An absolute setting is used as is. A relative one goes
 * next to koker's own cgroup (`self`): under cgroup2 a cgroup with processes cannot hand
 * controllers to children ("no internal processes"), and its sibling gets exactly the
 * controllers koker's own cgroup has; on v1 the same rule keeps containers inside whatever
 * budget the host gave the cgroup koker was started in (e.g. `/process_api/<session>` ->
 * `/process_api/koker`). When that sibling is outside what the mount shows, the mount's root is used.
 */
export function resolveCgroupParent(
  mount: HierarchyMount,
  setting: string,
  self: string | undefined,
): CgroupParent {
  checkCgroupParentSetting(setting);
  let cgroupPath: string;
  if (setting.startsWith('/')) cgroupPath = posix.normalize(setting);
  else {
    const base = self === undefined || self === '/' ? '/' : posix.dirname(self);
    cgroupPath = posix.join(insideMount(mount, base) ? base : mount.root, setting);
  }
  if (!insideMount(mount, cgroupPath)) {
    throw new InvalidValueError(
      'cgroup parent',
      setting,
      `${cgroupPath} is outside the part of the hierarchy mounted at ${mount.mountPoint} (${mount.root})`,
    );
  }
  return { cgroupPath, directory: directoryOf(mount, cgroupPath) };
}

function insideMount(mount: HierarchyMount, cgroupPath: string): boolean {
  return mount.root === '/' || cgroupPath === mount.root || cgroupPath.startsWith(`${mount.root}/`);
}

/** The directory showing cgroup `cgroupPath` under a mount. */
export function directoryOf(mount: HierarchyMount, cgroupPath: string): string {
  return posix.join(mount.mountPoint, posix.relative(mount.root, cgroupPath));
}
