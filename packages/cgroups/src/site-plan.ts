import { type KokerConfig, type CgroupLayout, type V1Hierarchy, type MountEntry } from '@koker/core';
import { defaultCgroupParentName, resolveCgroupParent } from './cgroup-parent.js';
import { type CgroupSite } from './cgroup-site.js';

/** The cgroup2 controllers koker enables for containers, when the host offers them (io: BLOCK I/O in stats). */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'] as const;

/** The configured parent (`cgroupParent`), else `koker` / `koker-<hash of root>`. */
export function cgroupParentSetting(config: Pick<KokerConfig, 'root' | 'cgroupParent'>): string {
  return config.cgroupParent ?? defaultCgroupParentName(config.root);
}

/** koker's own cgroup in a v1 hierarchy: /proc/self/cgroup names it by its controller list. */
function selfIn(layout: CgroupLayout, hierarchy: V1Hierarchy): string | undefined {
  const wanted = [...hierarchy.controllers].sort().join(',');
  for (const [key, path] of Object.entries(layout.self)) {
    if (key !== '' && key.split(',').sort().join(',') === wanted) return path;
  }
  return undefined;
}

/**
 * One site per mounted v1 hierarchy (`cpu,cpuacct` may be one or two), named ones such as
 * `name=systemd` included: as with Docker, the container has its own cgroup in each, never
 * staying in the host's (devices, blkio, net_cls, perf_event... would otherwise be shared).
 */
export function v1Sites(layout: CgroupLayout, setting: string): CgroupSite[] {
  const sites: CgroupSite[] = [];
  for (const hierarchy of layout.v1) {
    // A hierarchy of a controller koker does not know cannot be matched to /proc/self/cgroup.
    if (hierarchy.controllers.length === 0) continue;
    if (sites.some((s) => s.mountPoint === hierarchy.mountPoint)) continue;
    // The same hierarchy mounted twice shows the same cgroups: one site is enough.
    const sameHierarchy = sites.find(
      (s) => s.kind === 'v1' && s.controllers.join(',') === hierarchy.controllers.join(','),
    );
    if (sameHierarchy) continue;
    sites.push({
      kind: 'v1',
      mountPoint: hierarchy.mountPoint,
      controllers: hierarchy.controllers,
      parent: resolveCgroupParent(hierarchy, setting, selfIn(layout, hierarchy)),
      mount: { mountPoint: hierarchy.mountPoint, root: hierarchy.root },
      self: selfIn(layout, hierarchy),
    });
  }
  return sites;
}

/** The cgroup2 site: with controllers on unified hosts, for process tracking only on hybrid ones. */
export function v2Site(
  layout: CgroupLayout,
  mounts: readonly MountEntry[],
  setting: string,
  enable: readonly string[],
): CgroupSite | undefined {
  const mountPoint = layout.unifiedMount;
  if (mountPoint === undefined) return undefined;
  const root = mounts.find((m) => m.fsType === 'cgroup2' && m.mountPoint === mountPoint)?.root ?? '/';
  return {
    kind: 'v2',
    mountPoint,
    enable,
    parent: resolveCgroupParent({ mountPoint, root }, setting, layout.self['']),
    mount: { mountPoint, root },
    self: layout.self[''],
  };
}
