import {
  CgroupResourceDriver,
  v1LimitWrites,
  v1Sites,
  type CgroupDriverDeps,
  type CgroupSite,
} from '@koker/cgroups';
import { type HostView } from '@koker/core';

/** The container's cgroup in each v1 hierarchy koker uses (memory, cpu, cpuacct, cpuset, pids, freezer). */
export function legacySites(host: HostView, parentSetting: string): CgroupSite[] {
  return v1Sites(host.cgroupLayout, parentSetting);
}

/** cgroups on a legacy host: one v1 hierarchy per controller */
export class CgroupV1Driver extends CgroupResourceDriver {
  constructor(deps: CgroupDriverDeps) {
    super({ name: 'cgroup-v1', sites: legacySites, translate: v1LimitWrites, statsFrom: 'v1' }, deps);
  }
}
