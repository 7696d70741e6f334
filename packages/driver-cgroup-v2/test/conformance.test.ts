import { describe, it } from 'vitest';
import { describeCgroupDriver } from '@koker/cgroups/testing';
import { CgroupV2Driver, probe } from '../src/index.js';

// The probe, the ResourceDriver contract and --cgroup-parent, as every cgroup driver has them.
describeCgroupDriver(
  { describe, it },
  { name: 'cgroup-v2', mode: 'unified', probe, create: (deps) => new CgroupV2Driver(deps) },
);
