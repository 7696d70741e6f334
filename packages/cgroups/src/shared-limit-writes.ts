import { type ResourceLimits } from '@koker/core';
import { formatCpuList, parseCpuList } from './cpu-list.js';
import { type LimitController } from './limit-checks.js';

/** A limit file write that reads the same in v1 and cgroup2: `cpuset.cpus` and `pids.max`. */
export interface SharedLimitWrite {
  readonly controller: Extract<LimitController, 'cpuset' | 'pids'>;
  readonly file: 'cpuset.cpus' | 'pids.max';
  readonly value: string;
}

/** The writes v1 and cgroup2 share: the file names and formats of cpuset and pids did not change. */
export function sharedLimitWrites(limits: ResourceLimits): SharedLimitWrite[] {
  const writes: SharedLimitWrite[] = [];
  if (limits.cpusetCpus !== undefined)
    writes.push({
      controller: 'cpuset',
      file: 'cpuset.cpus',
      value: formatCpuList(parseCpuList(limits.cpusetCpus)),
    });
  if (limits.pidsLimit !== undefined)
    writes.push({
      controller: 'pids',
      file: 'pids.max',
      value: limits.pidsLimit === 'unlimited' ? 'max' : String(limits.pidsLimit),
    });
  return writes;
}
