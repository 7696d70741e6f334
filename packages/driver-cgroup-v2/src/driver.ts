import {
  CgroupResourceDriver,
  V2_CONTROLLERS,
  v2LimitWrites,
  v2Site,
  type CgroupDriverDeps,
  type CgroupSite,
} from '@koker/cgroups';
import { type HostView } from '@koker/core';

/** The container's cgroup in the single cgroup2 hierarchy, with koker's controllers enabled. */
export function unifiedSites(host: HostView, parentSetting: string): CgroupSite[] {
  const site = v2Site(host.cgroupLayout, host.mounts, parentSetting, V2_CONTROLLERS);
  return site ? [site] : [];
}

/** cgroups on a unified host: one cgroup2 hierarchy with every controller */
export class CgroupV2Driver extends CgroupResourceDriver {
  constructor(deps: CgroupDriverDeps) {
    super({ name: 'cgroup-v2', sites: unifiedSites, translate: v2LimitWrites, statsFrom: 'v2' }, deps);
  }
}
