import { join } from 'node:path';
import {
  type CgroupPlacement,
  type ContainerId,
  type HostView,
  type KokerConfig,
  type Logger,
  type ResourceDriver,
  type ResourceLimits,
  type ResourceStats,
  type DeviceRule,
} from '@koker/core';
import { type DeviceProgramAttacher } from './bpf-device-attach.js';
import { type CgroupFs } from './cgroup-fs.js';
import { type CgroupSite } from './cgroup-site.js';
import { ContainerCgroups, type LimitTranslator } from './container-cgroups.js';
import { wholeDiskOf } from './block-accounting.js';
import { ContainerParentIndex } from './container-parents.js';
import { cgroupParentSetting } from './site-plan.js';

/** What a cgroup driver is built from; tests pass a fake host and filesystem. */
export interface CgroupDriverDeps {
  readonly host: HostView;
  readonly config: Pick<KokerConfig, 'root' | 'cgroupParent'> & { readonly runRoot?: string };
  readonly log: Logger;
  readonly fs?: CgroupFs;
  readonly kill?: (pid: number) => void;
  readonly onlineCpus?: () => number[];
  readonly killTimeoutMs?: number;
  readonly deviceAttacher?: DeviceProgramAttacher;
}

/** How one layout's driver differs from the others. */
export interface CgroupDriverShape {
  readonly name: string;
  /** The sites a container lives in, from the host layout and the parent setting. */
  readonly sites: (host: HostView, parentSetting: string) => CgroupSite[];
  readonly translate: LimitTranslator;
  readonly statsFrom: 'v1' | 'v2';
}

/**
 * A ResourceDriver over ContainerCgroups. The v1, hybrid and v2 drivers are this with their own
 * sites, translation (v1 or cgroup2 files) and stats format. Sites are resolved on first use, so
 * building the driver reads nothing.
 */
export class CgroupResourceDriver implements ResourceDriver {
  readonly name: string;
  private cgroupsCache?: ContainerCgroups;

  constructor(
    private readonly shape: CgroupDriverShape,
    private readonly deps: CgroupDriverDeps,
  ) {
    this.name = shape.name;
  }

  protected get cgroups(): ContainerCgroups {
    if (!this.cgroupsCache) {
      const sites = this.shape.sites(this.deps.host, cgroupParentSetting(this.deps.config));
      this.deps.log.debug(
        { driver: this.name, parents: sites.map((s) => s.parent.directory).join(',') },
        'Use cgroup parents',
      );
      this.cgroupsCache = new ContainerCgroups({
        sites,
        translate: this.shape.translate,
        statsFrom: this.shape.statsFrom,
        log: this.deps.log,
        ...(this.deps.fs ? { fs: this.deps.fs } : {}),
        ...(this.deps.kill ? { kill: this.deps.kill } : {}),
        ...(this.deps.onlineCpus ? { onlineCpus: this.deps.onlineCpus } : {}),
        ...(this.deps.killTimeoutMs !== undefined ? { killTimeoutMs: this.deps.killTimeoutMs } : {}),
        ...(this.deps.deviceAttacher ? { deviceAttacher: this.deps.deviceAttacher } : {}),
        accountedDisks: () => {
          const disk = wholeDiskOf(this.deps.config.root);
          return disk ? [disk] : [];
        },
        parentIndex: new ContainerParentIndex(
          join(this.deps.config.runRoot ?? join(this.deps.config.root, 'run'), 'cgroup-parents'),
        ),
      });
    }
    return this.cgroupsCache;
  }

  async validate(limits: ResourceLimits): Promise<void> {
    this.cgroups.validate(limits);
  }

  async create(
    id: ContainerId,
    limits: ResourceLimits,
    devices: readonly DeviceRule[],
  ): Promise<CgroupPlacement> {
    return this.cgroups.create(id, limits, devices);
  }

  async placement(id: ContainerId): Promise<CgroupPlacement> {
    return this.cgroups.placementOf(id);
  }

  async stats(id: ContainerId): Promise<ResourceStats> {
    return this.cgroups.stats(id);
  }

  async oomKilled(id: ContainerId): Promise<boolean> {
    return this.cgroups.oomKilled(id);
  }

  async pause(id: ContainerId): Promise<void> {
    await this.cgroups.setPaused(id, true);
  }

  async resume(id: ContainerId): Promise<void> {
    await this.cgroups.setPaused(id, false);
  }

  async paused(id: ContainerId): Promise<boolean> {
    return this.cgroups.paused(id);
  }

  async update(id: ContainerId, limits: ResourceLimits): Promise<void> {
    this.cgroups.update(id, limits);
  }

  async destroy(id: ContainerId): Promise<void> {
    await this.cgroups.destroy(id);
  }

  async list(): Promise<ContainerId[]> {
    return this.cgroups.list();
  }
}
