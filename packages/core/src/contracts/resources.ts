import { type ContainerId } from '../domain/container-id.js';
import { type DeviceRule } from '../domain/device-rule.js';
import { type ResourceLimits } from '../domain/resource-limits.js';
import { contractKey } from './contract-key.js';

/**
 * What a launcher must do to put a process into the container's cgroups before it execs: write
 * the process's PID (as the host sees it) into every file of `procsFiles`, after clone and before
 * execve, so none of the container's own code runs outside its limits. `exec` does the same with
 * `placement(id)`.
 */
export interface CgroupPlacement {
  /** `cgroup.procs` files, one per hierarchy (on hybrid hosts the cgroup2 one too). */
  readonly procsFiles: readonly string[];
  /**
   * The container's cgroup path (as `/proc/<pid>/cgroup` shows it, in the cgroup2 hierarchy when
   * there is one): what a cgroup namespace created after joining shows as `/`.
   */
  readonly namespaceRoot?: string;
}

/** Usage read from the container's cgroups; a field is absent when the host cannot tell. */
export interface ResourceStats {
  /** Bytes in use, without the inactive page cache (what `docker stats` shows). */
  readonly memoryUsage?: number;
  /** Absent: no limit. */
  readonly memoryLimit?: number;
  /** CPU time used by every process of the container so far. */
  readonly cpuUsageNanos?: number;
  /** CFS periods elapsed and periods in which the quota throttled the container. */
  readonly cpuPeriods?: number;
  readonly cpuThrottledPeriods?: number;
  readonly pids?: number;
  /** Absent: no limit. */
  readonly pidsLimit?: number;
  /** Processes killed by the memory limit. */
  readonly oomKills?: number;
  /** Bytes read from and written to block devices by the container (blkio / io controller). */
  readonly blockReadBytes?: number;
  readonly blockWriteBytes?: number;
}

/** Resources through cgroups: one implementation per host layout (v1, hybrid, v2). */
export interface ResourceDriver {
  readonly name: string;
  /**
   * Rejects limits this host would refuse (InvalidValueError / HostError) without creating
   * anything: the run path calls it before it sets up anything else.
   */
  validate(limits: ResourceLimits): Promise<void>;
  /**
   * Validates, then creates the container's cgroups with its limits and its device policy
   * (`devices`, in force before any process joins; HostError where the host cannot enforce it).
   */
  create(id: ContainerId, limits: ResourceLimits, devices: readonly DeviceRule[]): Promise<CgroupPlacement>;
  /** Where an `exec`'d process joins: the same files as `create` returned. NotFoundError if gone. */
  placement(id: ContainerId): Promise<CgroupPlacement>;
  /** NotFoundError when the container has no cgroups. */
  stats(id: ContainerId): Promise<ResourceStats>;
  /** Whether the memory limit killed a process in the container (false when it has no cgroups). */
  oomKilled(id: ContainerId): Promise<boolean>;
  /**
   * Freezes every process of the container (`docker pause`; the v1 freezer, cgroup2's
   * `cgroup.freeze`): resolves once they are frozen. NotFoundError when it has no cgroups,
   * HostError where the host cannot freeze.
   */
  pause(id: ContainerId): Promise<void>;
  /** Thaws what `pause` froze; resolves once the processes run again. */
  resume(id: ContainerId): Promise<void>;
  /** Whether the container is frozen (false when it has no cgroups). */
  paused(id: ContainerId): Promise<boolean>;
  /**
   * Changes the limits of a live container (`docker update`): only the fields given, checked as
   * `validate` checks them. NotFoundError when it has no cgroups.
   */
  update(id: ContainerId, limits: ResourceLimits): Promise<void>;
  /** Kills what is left and removes the cgroups; a missing cgroup is not an error. */
  destroy(id: ContainerId): Promise<void>;
  /** IDs of cgroups this driver created (under its parent), for garbage collection after crashes. */
  list(): Promise<ContainerId[]>;
}

export const Resources = contractKey<ResourceDriver>('resources');
