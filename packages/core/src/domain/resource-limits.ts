import { type ByteSize } from './byte-size.js';
import { type NanoCpus } from './cpus.js';

/**
 * A container's resource limits with Docker's meaning, already parsed. Absent means "no limit".
 * Drivers translate these into their cgroup files (v1 and v2 differ, notably for swap).
 */
export interface ResourceLimits {
  /** `-m/--memory` (or the Go koker's `--mem` in MiB). */
  readonly memory?: ByteSize;
  /**
   * `--memory-swap`: memory + swap in total, as Docker defines it. `'unlimited'` is Docker's -1.
   * Equal to `memory` means no swap. Absent with `memory` set: Docker allows swap = memory.
   */
  readonly memorySwap?: ByteSize | 'unlimited';
  /** `--memory-reservation`: a soft limit the kernel reclaims down to under memory pressure. */
  readonly memoryReservation?: ByteSize;
  /** `--cpus` */
  readonly nanoCpus?: NanoCpus;
  /** `--cpu-shares` (v1 weight 2..262144; v2 converts to cpu.weight). */
  readonly cpuShares?: number;
  /** `--cpuset-cpus`, e.g. `0-2,4`, already validated as a list syntax. */
  readonly cpusetCpus?: string;
  /** `--pids-limit` (or the Go koker's `--pids`); `'unlimited'` for Docker's -1/0. */
  readonly pidsLimit?: number | 'unlimited';
  /**
   * `--cgroup-parent`: the cgroup the container's cgroup goes under instead of koker's parent
   * (Docker's Resources.CgroupParent): absolute from the hierarchy's root, or relative to the
   * cgroup of the koker that creates it. The resources driver checks it.
   */
  readonly cgroupParent?: string;
}
