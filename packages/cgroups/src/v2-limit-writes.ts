import { type ResourceLimits } from '@koker/core';
import { CFS_PERIOD_US, cfsQuotaUs } from './cfs.js';
import { type LimitController } from './limit-checks.js';
import { sharedLimitWrites } from './shared-limit-writes.js';

/** One file write in the container's cgroup2 directory. */
export interface V2Write {
  readonly controller: LimitController;
  readonly file: string;
  readonly value: string;
}

export interface V2LimitOptions {
  /** Whether `memory.swap.max` exists (swap accounting is on). */
  readonly swapAccounting: boolean;
}

/**
 * v1's `cpu.shares` (2..262144, default 1024) to v2's `cpu.weight` (1..10000, default 100): the
 * linear map runc, crun and Kubernetes document, `1 + ((shares - 2) * 9999) / 262142`, in whole
 * numbers. It keeps both ends (2 -> 1, 262144 -> 10000); the default 1024 becomes 39.
 */
export function cpuSharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262_142);
}

/**
 * The swap part of Docker's `--memory-swap` (memory + swap) for `memory.swap.max`, which holds
 * swap only: total - memory; unlimited is `max`; with `--memory` alone Docker allows as much swap
 * as memory.
 */
export function v2SwapMax(memory: number, memorySwap: ResourceLimits['memorySwap']): string {
  if (memorySwap === 'unlimited') return 'max';
  return String((memorySwap ?? memory * 2) - memory);
}

/** Docker's limits as cgroup2 file writes. `cpu.max` is `"<quota> <period>"`, with the space. */
export function v2LimitWrites(limits: ResourceLimits, options: V2LimitOptions): V2Write[] {
  const writes: V2Write[] = [];
  if (limits.memory !== undefined) {
    writes.push({ controller: 'memory', file: 'memory.max', value: String(limits.memory) });
    if (options.swapAccounting)
      writes.push({
        controller: 'memory',
        file: 'memory.swap.max',
        value: v2SwapMax(limits.memory, limits.memorySwap),
      });
  }
  // Docker's (and runc's) translation of the soft limit: protected from reclaim up to it.
  if (limits.memoryReservation !== undefined)
    writes.push({ controller: 'memory', file: 'memory.low', value: String(limits.memoryReservation) });
  if (limits.cpuShares !== undefined)
    writes.push({
      controller: 'cpu',
      file: 'cpu.weight',
      value: String(cpuSharesToWeight(limits.cpuShares)),
    });
  if (limits.nanoCpus !== undefined && limits.nanoCpus > 0)
    writes.push({
      controller: 'cpu',
      file: 'cpu.max',
      value: `${cfsQuotaUs(limits.nanoCpus)} ${CFS_PERIOD_US}`,
    });
  writes.push(...sharedLimitWrites(limits));
  return writes;
}
