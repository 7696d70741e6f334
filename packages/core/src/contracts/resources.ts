import { type ContainerId } from '../domain/container-id.js';
import { type ResourceLimits } from '../domain/resource-limits.js';
import { contractKey } from './contract-key.js';

/** What a launcher must do to put a process into the container's cgroups before it execs. */
export interface CgroupPlacement {
  /** `cgroup.procs` files the process writes its own PID into (one per hierarchy). */
  readonly procsFiles: readonly string[];
  /** The cgroup shown as `/` inside a cgroup namespace, when the driver supports one. */
  readonly namespaceRoot?: string;
}

export interface ResourceStats {
  readonly memoryUsage?: number;
  readonly memoryLimit?: number;
  readonly cpuUsageNanos?: number;
  readonly pids?: number;
  readonly pidsLimit?: number;
}

/** Resources through cgroups: one implementation per host layout (v1, hybrid, v2). */
export interface ResourceDriver {
  readonly name: string;
  /** Rejects limits the host would refuse (before anything exists), then creates the cgroups. */
  create(id: ContainerId, limits: ResourceLimits): Promise<CgroupPlacement>;
  /** Where an `exec`'d process joins: the same files as `create` returned. */
  placement(id: ContainerId): Promise<CgroupPlacement>;
  stats(id: ContainerId): Promise<ResourceStats>;
  /** Whether the memory limit killed a process in the container. */
  oomKilled(id: ContainerId): Promise<boolean>;
  /** Kills what is left and removes the cgroups; a missing cgroup is not an error. */
  destroy(id: ContainerId): Promise<void>;
  /** IDs of cgroups this driver created, for garbage collection after crashes. */
  list(): Promise<ContainerId[]>;
}

export const Resources = contractKey<ResourceDriver>('resources');
