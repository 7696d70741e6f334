import { describe, it } from 'vitest';
import { describeCgroupDriver } from '@koker/cgroups/testing';
import { CgroupHybridDriver, probe } from '../src/index.js';

// The probe, the ResourceDriver contract and --cgroup-parent, as every cgroup driver has them.
describeCgroupDriver(
  { describe, it },
  { name: 'cgroup-hybrid', mode: 'hybrid', probe, create: (deps) => new CgroupHybridDriver(deps) },
);
