// node bench/cgroups/cycle.mjs driver|raw N ROOT: N containers' cgroups created with limits
// (64 MiB, 0.5 CPU, 64 PIDs) and removed again, on the layout this host has.
//   driver: through the resources driver auto-detection picks (validation, logging, teardown).
//   raw:    the same mkdir/write/rmdir calls in the same directories, nothing else: the floor.
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_CONFIG,
  DriverCatalog,
  Resources,
  newContainerId,
  parseByteSize,
  parseCpus,
} from '@koker/core';
import { HostFacts } from '@koker/host';
import { createLogger } from '@koker/log';
import { CgroupHybridDriver, register as hybrid } from '@koker/driver-cgroup-hybrid';
import { CgroupV1Driver, register as v1 } from '@koker/driver-cgroup-v1';
import { CgroupV2Driver, register as v2 } from '@koker/driver-cgroup-v2';

const [mode = 'driver', count = '50', root = '/tmp/koker-bench-cgroups'] = process.argv.slice(2);
const host = new HostFacts();
const catalog = new DriverCatalog();
for (const register of [v2, hybrid, v1]) register(catalog);
const { chosen } = await catalog.select(Resources, { host, config: { ...DEFAULT_CONFIG, root } });
const Driver = {
  'cgroup-v1': CgroupV1Driver,
  'cgroup-v2': CgroupV2Driver,
  'cgroup-hybrid': CgroupHybridDriver,
}[chosen.name];
const driver = new Driver({
  host,
  config: { root },
  log: createLogger({ level: 'silent', format: 'console' }),
});
const limits = { memory: parseByteSize('64m'), nanoCpus: parseCpus('0.5'), pidsLimit: 64 };

// One container kept for the whole run, so both modes find koker's parent cgroups in place.
const keeper = newContainerId();
const placement = await driver.create(keeper, {});
const parents = placement.procsFiles.map((f) => join(f, '../..'));
try {
  for (let i = 0; i < Number(count); i += 1) {
    const id = newContainerId();
    if (mode === 'driver') {
      await driver.create(id, limits);
      await driver.destroy(id);
      continue;
    }
    const dirs = parents.map((p) => join(p, id));
    for (const dir of dirs) mkdirSync(dir);
    for (const dir of dirs) {
      const cpuset = join(dir, 'cpuset.cpus');
      try {
        writeFileSync(cpuset, '0');
        writeFileSync(join(dir, 'cpuset.mems'), '0');
      } catch {
        // not the v1 cpuset hierarchy
      }
    }
    for (const [file, value] of host.cgroupLayout.mode === 'unified'
      ? [
          ['memory.max', String(limits.memory)],
          ['cpu.max', '50000 100000'],
          ['pids.max', '64'],
        ]
      : [
          ['memory.limit_in_bytes', String(limits.memory)],
          ['cpu.cfs_quota_us', '50000'],
          ['pids.max', '64'],
        ])
      for (const dir of dirs)
        try {
          writeFileSync(join(dir, file), value);
        } catch {
          // the file belongs to another hierarchy
        }
    for (const dir of dirs.reverse()) rmdirSync(dir);
  }
} finally {
  await driver.destroy(keeper);
}
