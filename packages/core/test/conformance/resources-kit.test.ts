import { describe, expect, it } from 'vitest';
import {
  InvalidValueError,
  NotFoundError,
  type CgroupPlacement,
  type ContainerId,
  type ResourceDriver,
  type ResourceLimits,
  type ResourceStats,
} from '../../src/index.js';
import { describeResourcesDriver, type ResourcesSubject } from '../../src/testing/index.js';
import { failedTests, failures, runSuite } from './run-suite.js';

type Breakage =
  | 'none'
  | 'accepts-anything'
  | 'create-before-check'
  | 'destroy-keeps-processes'
  | 'destroy-throws-when-gone';

/** An in-memory resource driver; `broken` makes it break one promise of the contract. */
class MemoryResources implements ResourceDriver {
  readonly name = 'memory';
  readonly groups = new Map<ContainerId, { limits: ResourceLimits; pids: Set<number> }>();
  readonly alive = new Set<number>();

  constructor(private readonly broken: Breakage) {}

  async validate(limits: ResourceLimits): Promise<void> {
    if (this.broken === 'accepts-anything') return;
    const { memory, memorySwap, pidsLimit } = limits;
    if (memory !== undefined && memory < 6 * 1024 * 1024)
      throw new InvalidValueError('memory', String(memory), 'too small');
    if (
      memorySwap !== undefined &&
      (memory === undefined || (memorySwap !== 'unlimited' && memorySwap < memory))
    )
      throw new InvalidValueError('memory+swap', String(memorySwap), 'below memory');
    if (typeof pidsLimit === 'number' && pidsLimit < 1)
      throw new InvalidValueError('pids', String(pidsLimit), 'below 1');
  }

  async create(id: ContainerId, limits: ResourceLimits): Promise<CgroupPlacement> {
    if (this.broken === 'create-before-check') this.groups.set(id, { limits, pids: new Set() });
    await this.validate(limits);
    this.groups.set(id, { limits, pids: new Set() });
    return this.placementOf(id);
  }

  private placementOf(id: ContainerId): CgroupPlacement {
    return { procsFiles: [`/fake/cgroup/${id}/cgroup.procs`] };
  }

  private group(id: ContainerId) {
    const group = this.groups.get(id);
    if (!group) throw new NotFoundError(`container ${id} has no cgroup`);
    return group;
  }

  async placement(id: ContainerId): Promise<CgroupPlacement> {
    this.group(id);
    return this.placementOf(id);
  }

  async stats(id: ContainerId): Promise<ResourceStats> {
    const { limits, pids } = this.group(id);
    return {
      memoryUsage: 0,
      ...(typeof limits.memory === 'number' ? { memoryLimit: limits.memory } : {}),
      pids: pids.size,
      ...(typeof limits.pidsLimit === 'number' ? { pidsLimit: limits.pidsLimit } : {}),
    };
  }

  async oomKilled(): Promise<boolean> {
    return false;
  }

  readonly frozen = new Set<ContainerId>();

  async pause(id: ContainerId): Promise<void> {
    this.group(id);
    this.frozen.add(id);
  }

  async resume(id: ContainerId): Promise<void> {
    this.group(id);
    this.frozen.delete(id);
  }

  async paused(id: ContainerId): Promise<boolean> {
    return this.groups.has(id) && this.frozen.has(id);
  }

  async update(id: ContainerId, limits: ResourceLimits): Promise<void> {
    const group = this.group(id);
    await this.validate(limits);
    group.limits = { ...group.limits, ...limits };
  }

  async destroy(id: ContainerId): Promise<void> {
    const group = this.groups.get(id);
    if (!group) {
      if (this.broken === 'destroy-throws-when-gone') throw new NotFoundError(`no cgroup for ${id}`);
      return;
    }
    if (this.broken !== 'destroy-keeps-processes') for (const pid of group.pids) this.alive.delete(pid);
    this.groups.delete(id);
  }

  async list(): Promise<ContainerId[]> {
    return [...this.groups.keys()];
  }
}

function subject(broken: Breakage): ResourcesSubject {
  const driver = new MemoryResources(broken);
  let next = 1000;
  return {
    driver,
    startProcess: (placement) => {
      const id = placement.procsFiles[0]?.split('/')[3] as ContainerId;
      const pid = next++;
      driver.groups.get(id)?.pids.add(pid);
      driver.alive.add(pid);
      return { pid, alive: () => driver.alive.has(pid) };
    },
    leftovers: () => [...driver.groups.keys()],
  };
}

const run = (broken: Breakage) =>
  runSuite((t) => describeResourcesDriver(t, { name: broken, create: () => subject(broken) }));

describe('describeResourcesDriver', () => {
  it('passes a driver that keeps every promise', async () => {
    const outcome = await run('none');
    expect(outcome.failed, failures(outcome)).toEqual([]);
    expect(outcome.passed.length).toBe(7);
  });

  it('fails a driver that accepts invalid limits, or creates cgroups before checking them', async () => {
    for (const broken of ['accepts-anything', 'create-before-check'] as const)
      expect(failedTests(await run(broken))).toContain(
        'refuses invalid limits in validate and create, before anything exists',
      );
  });

  it('fails a driver whose destroy leaves processes running', async () => {
    expect(failedTests(await run('destroy-keeps-processes'))).toEqual([
      'destroy kills what runs in the container and removes its cgroups; a second destroy is no error',
    ]);
  });

  it('fails a driver whose destroy is not idempotent', async () => {
    expect(failedTests(await run('destroy-throws-when-gone'))).toEqual(
      expect.arrayContaining([
        'destroy kills what runs in the container and removes its cgroups; a second destroy is no error',
        'destroy and lookups of a container that has no cgroups',
      ]),
    );
  });
});
