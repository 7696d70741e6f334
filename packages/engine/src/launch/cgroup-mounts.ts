import { posix } from 'node:path';
import {
  type CgroupLayout,
  type CgroupPlacement,
  type MountStep,
  type SymlinkStep,
  type V1Hierarchy,
} from '@koker/core';

/** The container's view of its cgroups at /sys/fs/cgroup, as Docker mounts it. */
export interface CgroupFsPlan {
  readonly mounts: MountStep[];
  readonly symlinks: SymlinkStep[];
  /** Made read-only after the symlinks are in: the v1 tmpfs is written until then. */
  readonly readOnlyPaths: string[];
}

const ROOT = '/sys/fs/cgroup';
const NONE: CgroupFsPlan = { mounts: [], symlinks: [], readOnlyPaths: [] };

/**
 * A tmpfs at /sys/fs/cgroup with one mount per v1 hierarchy (a symlink per controller of a
 * shared one, `cpu` -> `cpu,cpuacct`), each made by `mountOf` (undefined: left out), and the
 * cgroup2 one at `unified` on hybrid.
 */
function v1Tree(
  layout: CgroupLayout,
  readOnly: boolean,
  mountOf: (hierarchy: V1Hierarchy, target: string) => MountStep | undefined,
  unified: MountStep | undefined,
): CgroupFsPlan {
  const mounts: MountStep[] = [
    {
      source: 'tmpfs',
      target: ROOT,
      fstype: 'tmpfs',
      flags: ['nosuid', 'noexec', 'nodev'],
      data: 'mode=755',
    },
  ];
  const symlinks: SymlinkStep[] = [];
  const seen = new Set<string>();
  for (const hierarchy of layout.v1) {
    const data = hierarchy.controllers.join(',');
    // A hierarchy mounted twice on the host is still one hierarchy.
    if (hierarchy.controllers.length === 0 || seen.has(data)) continue;
    seen.add(data);
    const name = hierarchy.controllers.map((c) => c.replace(/^name=/, '')).join(',');
    const mount = mountOf(hierarchy, `${ROOT}/${name}`);
    if (!mount) continue;
    mounts.push(mount);
    if (hierarchy.controllers.length > 1)
      for (const controller of hierarchy.controllers)
        symlinks.push({ path: `${ROOT}/${controller.replace(/^name=/, '')}`, target: name });
  }
  if (layout.mode === 'hybrid' && unified) mounts.push(unified);
  return { mounts, symlinks, readOnlyPaths: readOnly ? [ROOT] : [] };
}

/**
 * Mounts of the host's cgroup hierarchies at /sys/fs/cgroup. They are made inside the
 * container's cgroup namespace, so each one's root is the container's own cgroup; without a
 * cgroup namespace they would show the host's whole tree, so nothing is mounted. Read-only
 * unless privileged (Docker's choice). Unified: one cgroup2 mount. Legacy and hybrid: a tmpfs
 * with one mount per v1 hierarchy, and cgroup2 at `unified` on hybrid.
 */
export function cgroupMounts(
  layout: CgroupLayout,
  privileged: boolean,
  cgroupNamespace: boolean,
): CgroupFsPlan {
  if (!cgroupNamespace || layout.mode === 'none') return NONE;
  const flags = ['nosuid', 'noexec', 'nodev', ...(privileged ? [] : ['ro'])];
  const cgroup2 = (target: string): MountStep => ({ source: 'cgroup', target, fstype: 'cgroup2', flags });
  if (layout.mode === 'unified') return { mounts: [cgroup2(ROOT)], symlinks: [], readOnlyPaths: [] };
  return v1Tree(
    layout,
    !privileged,
    (hierarchy, target) => ({
      source: 'cgroup',
      target,
      fstype: 'cgroup',
      flags,
      data: hierarchy.controllers.join(','),
    }),
    layout.unifiedMount !== undefined ? cgroup2(`${ROOT}/unified`) : undefined,
  );
}

/**
 * Without a cgroup namespace: the container's own cgroup directories bound at /sys/fs/cgroup
 * (runc's way), so it sees its own cgroups and nothing of the host's tree. Each directory is the
 * one `placement` joins in that hierarchy; a hierarchy the container is not placed in is left out.
 */
export function ownCgroupMounts(
  layout: CgroupLayout,
  placement: CgroupPlacement | undefined,
  readOnly: boolean,
): CgroupFsPlan {
  if (!placement || layout.mode === 'none') return NONE;
  const flags = ['bind', 'nosuid', 'noexec', 'nodev', ...(readOnly ? ['ro'] : [])];
  const own = (mountPoint: string, target: string): MountStep | undefined => {
    const file = placement.procsFiles.find((f) => f.startsWith(`${mountPoint}/`));
    return file ? { source: posix.dirname(file), target, fstype: '', flags } : undefined;
  };
  if (layout.mode === 'unified') {
    const mount = layout.unifiedMount !== undefined ? own(layout.unifiedMount, ROOT) : undefined;
    return { mounts: mount ? [mount] : [], symlinks: [], readOnlyPaths: [] };
  }
  return v1Tree(
    layout,
    readOnly,
    (hierarchy, target) => own(hierarchy.mountPoint, target),
    layout.unifiedMount !== undefined ? own(layout.unifiedMount, `${ROOT}/unified`) : undefined,
  );
}
