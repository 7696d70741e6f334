import { type CgroupLayout, type MountStep, type SymlinkStep } from '@koker/core';

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
 * Mounts of the host's cgroup hierarchies at /sys/fs/cgroup. They are made inside the
 * container's cgroup namespace, so each one's root is the container's own cgroup; without a
 * cgroup namespace they would show the host's whole tree, so nothing is mounted. Read-only
 * unless privileged (Docker's choice). Unified: one cgroup2 mount. Legacy and hybrid: a tmpfs
 * with one mount per v1 hierarchy (a symlink per controller of a shared one, `cpu` ->
 * `cpu,cpuacct`), and cgroup2 at `unified` on hybrid.
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
    mounts.push({ source: 'cgroup', target: `${ROOT}/${name}`, fstype: 'cgroup', flags, data });
    if (hierarchy.controllers.length > 1)
      for (const controller of hierarchy.controllers)
        symlinks.push({ path: `${ROOT}/${controller.replace(/^name=/, '')}`, target: name });
  }
  if (layout.mode === 'hybrid' && layout.unifiedMount !== undefined) mounts.push(cgroup2(`${ROOT}/unified`));
  return { mounts, symlinks, readOnlyPaths: privileged ? [] : [ROOT] };
}
