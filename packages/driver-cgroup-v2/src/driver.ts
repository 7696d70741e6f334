import {
  NotImplementedError,
  type CgroupPlacement,
  type ContainerId,
  type ResourceDriver,
  type ResourceLimits,
  type ResourceStats,
} from '@koker/core';

/** cgroups on a unified host: one cgroup2 hierarchy with every controller */
export class CgroupV2Driver implements ResourceDriver {
  readonly name = 'cgroup-v2';

  async create(_id: ContainerId, _limits: ResourceLimits): Promise<CgroupPlacement> {
    throw new NotImplementedError('the cgroup-v2 resource driver');
  }

  async placement(_id: ContainerId): Promise<CgroupPlacement> {
    throw new NotImplementedError('the cgroup-v2 resource driver');
  }

  async stats(_id: ContainerId): Promise<ResourceStats> {
    throw new NotImplementedError('the cgroup-v2 resource driver');
  }

  async oomKilled(_id: ContainerId): Promise<boolean> {
    throw new NotImplementedError('the cgroup-v2 resource driver');
  }

  async destroy(_id: ContainerId): Promise<void> {}

  async list(): Promise<ContainerId[]> {
    return [];
  }
}
