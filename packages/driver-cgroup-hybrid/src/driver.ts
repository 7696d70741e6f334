import {
  NotImplementedError,
  type CgroupPlacement,
  type ContainerId,
  type ResourceDriver,
  type ResourceLimits,
  type ResourceStats,
} from '@koker/core';

/** cgroups on a hybrid host: v1 controllers, plus cgroup2 for process tracking */
export class CgroupHybridDriver implements ResourceDriver {
  readonly name = 'cgroup-hybrid';

  async create(_id: ContainerId, _limits: ResourceLimits): Promise<CgroupPlacement> {
    throw new NotImplementedError('the cgroup-hybrid resource driver');
  }

  async placement(_id: ContainerId): Promise<CgroupPlacement> {
    throw new NotImplementedError('the cgroup-hybrid resource driver');
  }

  async stats(_id: ContainerId): Promise<ResourceStats> {
    throw new NotImplementedError('the cgroup-hybrid resource driver');
  }

  async oomKilled(_id: ContainerId): Promise<boolean> {
    throw new NotImplementedError('the cgroup-hybrid resource driver');
  }

  async destroy(_id: ContainerId): Promise<void> {}

  async list(): Promise<ContainerId[]> {
    return [];
  }
}
