import {
  NotImplementedError,
  type CgroupPlacement,
  type ContainerId,
  type ResourceDriver,
  type ResourceLimits,
  type ResourceStats,
} from '@koker/core';

/** cgroups on a legacy host: one v1 hierarchy per controller */
export class CgroupV1Driver implements ResourceDriver {
  readonly name = 'cgroup-v1';

  async create(_id: ContainerId, _limits: ResourceLimits): Promise<CgroupPlacement> {
    throw new NotImplementedError('the cgroup-v1 resource driver');
  }

  async placement(_id: ContainerId): Promise<CgroupPlacement> {
    throw new NotImplementedError('the cgroup-v1 resource driver');
  }

  async stats(_id: ContainerId): Promise<ResourceStats> {
    throw new NotImplementedError('the cgroup-v1 resource driver');
  }

  async oomKilled(_id: ContainerId): Promise<boolean> {
    throw new NotImplementedError('the cgroup-v1 resource driver');
  }

  async destroy(_id: ContainerId): Promise<void> {}

  async list(): Promise<ContainerId[]> {
    return [];
  }
}
