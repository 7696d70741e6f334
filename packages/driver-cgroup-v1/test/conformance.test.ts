import { dirname } from 'node:path';
import { describe, it } from 'vitest';
import { FakeCgroupHost } from '@koker/cgroups/testing';
import { describeResourcesDriver, recordingLogger } from '@koker/core/testing';
import { CgroupV1Driver } from '../src/index.js';

let nextPid = 5000;

// The ResourceDriver contract, against a cgroupfs that behaves like the kernel's (legacy layout).
describeResourcesDriver(
  { describe, it },
  {
    name: 'cgroup-v1 on a fake legacy cgroupfs',
    create: () => {
      const fake = new FakeCgroupHost({ mode: 'legacy' });
      return {
        driver: new CgroupV1Driver({
          host: fake.host(),
          config: { root: '/tmp/koker-conformance-root' },
          log: recordingLogger().log,
          fs: fake.fs,
          kill: fake.kill,
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
