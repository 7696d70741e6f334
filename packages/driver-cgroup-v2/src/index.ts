import { Resources, type DriverCatalog } from '@koker/core';
import { CgroupV2Driver } from './driver.js';
import { probe } from './probe.js';

export { CgroupV2Driver, unifiedSites } from './driver.js';
export { probe } from './probe.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Resources,
    name: 'cgroup-v2',
    priority: 80,
    description: 'cgroups on a unified host: one cgroup2 hierarchy with every controller',
    probe,
    create: (context) => new CgroupV2Driver(context),
  });
}
