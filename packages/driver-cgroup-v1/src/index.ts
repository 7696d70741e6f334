import { Resources, type DriverCatalog } from '@koker/core';
import { CgroupV1Driver } from './driver.js';
import { probe } from './probe.js';

export { CgroupV1Driver, legacySites } from './driver.js';
export { probe } from './probe.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Resources,
    name: 'cgroup-v1',
    priority: 60,
    description: 'cgroups on a legacy host: one v1 hierarchy per controller',
    probe,
    create: (context) => new CgroupV1Driver(context),
  });
}
