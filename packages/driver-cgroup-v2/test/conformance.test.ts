import { dirname } from 'node:path';
import { describe, it } from 'vitest';
import { FakeCgroupHost } from '@koker/cgroups/testing';
import { describeResourcesDriver, recordingLogger } from '@koker/core/testing';
import { CgroupV2Driver } from '../src/index.js';

let nextPid = 5000;

// The ResourceDriver contract, against a cgroupfs that behaves like the kernel's (unified layout).
describeResourcesDriver(
  { describe, it },
  {
    name: 'cgroup-v2 on a fake unified cgroupfs',
    create: () => {
      const fake = new FakeCgroupHost({ mode: 'unified' });
      return {
        driver: new CgroupV2Driver({
          host: fake.host(),
          config: { root: '/tmp/koker-conformance-root' },
          log: recordingLogger().log,
          fs: fake.fs,
          kill: fake.kill,
          deviceAttacher: fake.deviceAttacher,
        }),
        startProcess: (placement) => {
          const pid = nextPid++;
          for (const file of placement.procsFiles) fake.addProcess(dirname(file), pid);
          return { pid, alive: () => !fake.killed.includes(pid) };
        },
        leftovers: () => fake.cgroups(),
        dispose: () => fake.cleanup(),
      };
    },
  },
);
