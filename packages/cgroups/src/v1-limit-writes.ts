import { type ResourceLimits } from '@koker/core';
import { CFS_PERIOD_US, cfsQuotaUs } from './cfs.js';
import { type LimitController } from './limit-checks.js';
import { sharedLimitWrites } from './shared-limit-writes.js';

/** One file write in a v1 hierarchy, in the order the kernel needs them. */
export interface V1Write {
  readonly controller: LimitController;
  readonly file: string;
  readonly value: string;
}

export interface V1LimitOptions {
  /** Whether `memory.memsw.*` exists (swap accounting is on); without it swap cannot be limited. */
  readonly swapAccounting: boolean;
}

/**
 * Docker's limits as v1 file writes. `memory.memsw.limit_in_bytes` is memory + swap, exactly
 * Docker's `--memory-swap`; with `--memory` alone Docker lets the container swap as much again
 * (memsw = 2 × memory). memsw must never be below the memory limit, so the memory limit is
 * written first (a fresh cgroup starts with both unlimited).
 */
export function v1LimitWrites(limits: ResourceLimits, options: V1LimitOptions): V1Write[] {
  const writes: V1Write[] = [];
  if (limits.memory !== undefined) {
    writes.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(limits.memory) });
    if (options.swapAccounting) {
      const total = limits.memorySwap === 'unlimited' ? '-1' : String(limits.memorySwap ?? limits.memory * 2);
      writes.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: total });
    }
  }
  if (limits.memoryReservation !== undefined)
    writes.push({
      controller: 'memory',
      file: 'memory.soft_limit_in_bytes',
      value: String(limits.memoryReservation),
    });
  if (limits.cpuShares !== undefined)
    writes.push({ controller: 'cpu', file: 'cpu.shares', value: String(limits.cpuShares) });
  if (limits.nanoCpus !== undefined && limits.nanoCpus > 0) {
    writes.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CFS_PERIOD_US) });
    writes.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(cfsQuotaUs(limits.nanoCpus)) });
  }
  writes.push(...sharedLimitWrites(limits));
  return writes;
}
