import { describe, it } from 'vitest';
import { describeCgroupDriver } from '@koker/cgroups/testing';
import { CgroupV1Driver, probe } from '../src/index.js';

// The probe, the ResourceDriver contract and --cgroup-parent, as every cgroup driver has them.
describeCgroupDriver(
  { describe, it },
  { name: 'cgroup-v1', mode: 'legacy', probe, create: (deps) => new CgroupV1Driver(deps) },
);
