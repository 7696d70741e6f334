import { Resources, type DriverCatalog } from '@koker/core';
import { CgroupHybridDriver } from './driver.js';
import { probe } from './probe.js';

export { CgroupHybridDriver, hybridSites } from './driver.js';
export { probe } from './probe.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Resources,
    name: 'cgroup-hybrid',
    priority: 70,
    description: 'cgroups on a hybrid host: v1 controllers, plus cgroup2 for process tracking',
    probe,
    create: (context) => new CgroupHybridDriver(context),
  });
}
