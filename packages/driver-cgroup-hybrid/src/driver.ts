import {
  CgroupResourceDriver,
  v1LimitWrites,
  v1Sites,
  v2Site,
  type CgroupDriverDeps,
  type CgroupSite,
} from '@koker/cgroups';
import { type HostView } from '@koker/core';

/**
 * The v1 hierarchies for limits, plus the cgroup2 hierarchy with no controllers: it tracks the
 * container's processes, gives `cgroup.kill` for teardown, and is what systemd and cgroup
 * namespaces look at on hybrid hosts.
 */
export function hybridSites(host: HostView, parentSetting: string): CgroupSite[] {
  const tracking = v2Site(host.cgroupLayout, host.mounts, parentSetting, []);
  return [...v1Sites(host.cgroupLayout, parentSetting), ...(tracking ? [tracking] : [])];
}

/** cgroups on a hybrid host: v1 controllers, plus cgroup2 for process tracking */
export class CgroupHybridDriver extends CgroupResourceDriver {
  constructor(deps: CgroupDriverDeps) {
    super({ name: 'cgroup-hybrid', sites: hybridSites, translate: v1LimitWrites, statsFrom: 'v1' }, deps);
  }
}
