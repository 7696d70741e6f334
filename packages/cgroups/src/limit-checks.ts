import {
  formatByteSize,
  formatCpus,
  type NanoCpus,
  type ResourceLimits,
  HostError,
  InvalidValueError,
} from '@koker/core';
import { formatCpuList, parseCpuList } from './cpu-list.js';

/** Docker's floor for `--memory`: below it a container cannot even start its runtime. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** `--cpus` below 0.01 gives a CFS quota under the kernel's 1 ms minimum. */
export const MIN_NANO_CPUS = 10_000_000;
/** The kernel's (and Docker's) range for v1 `cpu.shares`. */
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262_144;

/** The controllers koker's limits use; each maps to the same name in v1 and v2. */
export type LimitController = 'memory' | 'cpu' | 'cpuset' | 'pids';

/** What the host offers the container's cgroup, as far as limits are concerned. */
export interface LimitCapabilities {
  /** Controllers the container's cgroup can use. */
  readonly controllers: ReadonlySet<string>;
  /** Where `controllers` was read, for the error message (a file, or "the v1 mounts"). */
  readonly controllersSource: string;
  /** CPUs the container's cgroup may be given (the parent's effective cpuset). */
  readonly cpus: readonly number[];
}

/** The controllers a set of limits needs. */
export function controllersFor(limits: ResourceLimits): LimitController[] {
  const needed: LimitController[] = [];
  if (
    limits.memory !== undefined ||
    limits.memorySwap !== undefined ||
    limits.memoryReservation !== undefined
  )
    needed.push('memory');
  if (limits.nanoCpus !== undefined || limits.cpuShares !== undefined) needed.push('cpu');
  if (limits.cpusetCpus !== undefined) needed.push('cpuset');
  if (typeof limits.pidsLimit === 'number') needed.push('pids');
  return needed;
}

/**
 * Rejects limits the kernel would refuse or that make no sense with Docker's meaning, before any
 * cgroup exists. Messages name the value and what would be accepted.
 */
export function checkLimits(limits: ResourceLimits, host: LimitCapabilities): void {
  const { memory, memorySwap, nanoCpus, cpuShares, cpusetCpus, pidsLimit } = limits;
  if (memory !== undefined && memory < MIN_MEMORY_BYTES) {
    throw new InvalidValueError(
      'memory limit',
      formatByteSize(memory),
      `the minimum is ${formatByteSize(MIN_MEMORY_BYTES)}`,
    );
  }
  if (memorySwap !== undefined) {
    const shown = memorySwap === 'unlimited' ? '-1' : formatByteSize(memorySwap);
    if (memory === undefined) {
      throw new InvalidValueError(
        'memory+swap limit',
        shown,
        'it needs a memory limit too (-m/--memory or --mem): it counts memory plus swap',
      );
    }
    if (memorySwap !== 'unlimited' && memorySwap < memory) {
      throw new InvalidValueError(
        'memory+swap limit',
        shown,
        `it counts memory plus swap, so it must be at least the memory limit (${formatByteSize(memory)})`,
      );
    }
  }
  const { memoryReservation } = limits;
  if (memoryReservation !== undefined && memory !== undefined && memoryReservation > memory) {
    throw new InvalidValueError(
      'memory reservation',
      formatByteSize(memoryReservation),
      `the memory limit (${formatByteSize(memory)}) can not be less than the memory reservation`,
    );
  }
  if (nanoCpus !== undefined && nanoCpus !== 0) checkCpus(nanoCpus, host.cpus.length);
  if (cpuShares !== undefined) {
    if (!Number.isInteger(cpuShares) || cpuShares < MIN_CPU_SHARES || cpuShares > MAX_CPU_SHARES) {
      throw new InvalidValueError(
        'CPU shares',
        String(cpuShares),
        `expected a whole number from ${MIN_CPU_SHARES} to ${MAX_CPU_SHARES} (1024 is the default weight)`,
      );
    }
  }
  if (cpusetCpus !== undefined) {
    const wanted = parseCpuList(cpusetCpus);
    const available = new Set(host.cpus);
    const missing = wanted.filter((cpu) => !available.has(cpu));
    if (missing.length > 0) {
      throw new InvalidValueError(
        'cpuset',
        cpusetCpus,
        `CPU${missing.length > 1 ? 's' : ''} ${formatCpuList(missing)} ${missing.length > 1 ? 'are' : 'is'} not available on this host (available: ${formatCpuList(host.cpus) || 'none'})`,
      );
    }
  }
  if (pidsLimit !== undefined && pidsLimit !== 'unlimited') {
    if (!Number.isSafeInteger(pidsLimit) || pidsLimit < 1) {
      throw new InvalidValueError(
        'PIDs limit',
        String(pidsLimit),
        'expected a whole number of at least 1, or -1 for no limit',
      );
    }
  }
  for (const controller of controllersFor(limits)) {
    if (!host.controllers.has(controller)) {
      throw new HostError(
        `the ${controller} limit needs the ${controller} cgroup controller, which is not available here (${host.controllersSource})`,
        {
          hint: `run without the ${controller} limit, or put containers where the controller is delegated: KOKER_CGROUP_PARENT=/koker (or "cgroupParent" in the config) places them under the hierarchy's root`,
        },
      );
    }
  }
}

function checkCpus(nanoCpus: NanoCpus, hostCpus: number): void {
  if (nanoCpus < MIN_NANO_CPUS || nanoCpus > hostCpus * 1e9) {
    throw new InvalidValueError(
      'CPU count',
      formatCpus(nanoCpus),
      `the range is 0.01 to ${hostCpus}, as this host has ${hostCpus} CPU${hostCpus === 1 ? '' : 's'} available`,
    );
  }
}
