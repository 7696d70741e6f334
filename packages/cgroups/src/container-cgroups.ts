import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CgroupPlacement,
  type ResourceStats,
  type ContainerId,
  type ResourceLimits,
  type DeviceRule,
  ConflictError,
  HostError,
  InvalidValueError,
  NotFoundError,
  type Logger,
} from '@koker/core';
import { bpfDeviceAttacher, type DeviceProgramAttacher } from './bpf-device-attach.js';
import { parseProcs } from './cgroup-files.js';
import { type CgroupFs, nodeCgroupFs } from './cgroup-fs.js';
import { type CgroupParent } from './cgroup-parent.js';
import { type CgroupSite, siteHas } from './cgroup-site.js';
import { containerParentIn, type ContainerParentIndex, type ContainerParents } from './container-parents.js';
import { v1Stats, v2Stats } from './cgroup-stats.js';
import { readKernelCpuList } from './cpu-list.js';
import { deviceFilterProgram } from './device-filter.js';
import { checkLimits, type LimitCapabilities, type LimitController } from './limit-checks.js';
import { v1DeviceWrites } from './v1-device-writes.js';

/** Bytes a second: the v1 throttle rule that only turns block I/O accounting on (see accountBlockIo). */
const ACCOUNTING_BPS = 2 ** 40;
/** A limit file write, routed to the site that manages its controller. */
export interface LimitWrite {
  readonly controller: LimitController;
  readonly file: string;
  readonly value: string;
}

/** Turns limits into writes once swap accounting is known (it is read from the new cgroup on v2). */
export type LimitTranslator = (limits: ResourceLimits, options: { swapAccounting: boolean }) => LimitWrite[];

export interface ContainerCgroupsOptions {
  readonly sites: readonly CgroupSite[];
  readonly translate: LimitTranslator;
  /** Which format usage is read in: v1 files (legacy, hybrid) or cgroup2 files. */
  readonly statsFrom: 'v1' | 'v2';
  readonly log: Logger;
  readonly fs?: CgroupFs;
  /** CPUs online, when no cpuset says which the parent may use. */
  readonly onlineCpus?: () => number[];
  /** How long destroy waits for killed processes to leave before it gives up. */
  readonly killTimeoutMs?: number;
  /** Sends SIGKILL (tests replace it: their PIDs are not real processes). */
  readonly kill?: (pid: number) => void;
  /** Attaches the device program on cgroup2 (tests record it instead of calling bpf(2)). */
  readonly deviceAttacher?: DeviceProgramAttacher;
  /** Where containers placed with `--cgroup-parent` are recorded; without it the flag is refused. */
  readonly parentIndex?: ContainerParentIndex;
  /** The disks the container writes to (`MAJ:MIN`, the one under koker's root), for v1 block I/O stats. */
  readonly accountedDisks?: () => readonly string[];
}

const CONTAINER_DIR = /^[0-9a-f]{64}$/;

const WHAT: Record<LimitController, string> = {
  memory: "Set container's memory limit",
  cpu: "Set container's cpus limit",
  cpuset: "Set container's cpuset",
  pids: "Set container's pids limit",
};

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function readOnlineCpus(): number[] {
  return readKernelCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
}

/**
 * The cgroupfs mechanics every cgroup driver shares: a container's cgroup in each of its sites
 * (v1 hierarchies, the cgroup2 hierarchy, or both), created under koker's parent with its limits,
 * read for usage, and torn down (processes killed first, so rmdir never meets EBUSY).
 */
export class ContainerCgroups {
  private readonly fs: CgroupFs;
  private readonly log: Logger;

  constructor(private readonly options: ContainerCgroupsOptions) {
    this.fs = options.fs ?? nodeCgroupFs;
    this.log = options.log;
  }

  get sites(): readonly CgroupSite[] {
    return this.options.sites;
  }

  /** The container's directory in a site. */
  directory(site: CgroupSite, id: ContainerId): string {
    return posix.join(this.parentOf(site, id).directory, id);
  }

  /** koker's parent in the site, or the one `--cgroup-parent` chose for this container. */
  private parentOf(site: CgroupSite, id: ContainerId): CgroupParent {
    return this.options.parentIndex?.get(id)?.parents[site.mountPoint] ?? site.parent;
  }

  /** `--cgroup-parent`: its parent in every site, checked (Docker's rules; no `..`, no escape). */
  private customParents(setting: string): Record<string, CgroupParent> {
    if (!this.options.parentIndex)
      throw new InvalidValueError('--cgroup-parent', setting, 'this cgroup driver cannot place containers');
    return Object.fromEntries(this.sites.map((site) => [site.mountPoint, containerParentIn(site, setting)]));
  }

  /** What the host offers a new container cgroup (read from the parents, creating nothing). */
  capabilities(): LimitCapabilities {
    const controllers = new Set<string>();
    const sources: string[] = [];
    for (const site of this.sites) {
      if (site.kind === 'v1') {
        for (const c of site.controllers) controllers.add(c);
        sources.push(`${site.mountPoint} (${site.controllers.join(',')})`);
      } else if (site.enable.length > 0) {
        const file = posix.join(posix.dirname(site.parent.directory), 'cgroup.subtree_control');
        const offered = this.readOptional(file)?.split(/\s+/).filter(Boolean) ?? [];
        for (const c of offered) if (site.enable.includes(c)) controllers.add(c);
        sources.push(`${file}: ${offered.join(' ') || 'none'}`);
      }
    }
    return {
      controllers,
      controllersSource: sources.length > 0 ? `controllers from ${sources.join('; ')}` : 'no controllers',
      cpus: this.availableCpus(),
    };
  }

  private availableCpus(): number[] {
    for (const site of this.sites) {
      if (!siteHas(site, 'cpuset')) continue;
      const file = site.kind === 'v1' ? 'cpuset.effective_cpus' : 'cpuset.cpus.effective';
      const text = this.readOptional(posix.join(posix.dirname(site.parent.directory), file));
      if (text !== undefined && text.trim() !== '') return readKernelCpuList(text);
    }
    return (this.options.onlineCpus ?? readOnlineCpus)();
  }

  validate(limits: ResourceLimits): void {
    if (limits.cgroupParent !== undefined) this.customParents(limits.cgroupParent);
    checkLimits(limits, this.capabilities());
  }

  /**
   * Validates, creates the container's cgroup in every site (koker's parent first, if needed),
   * writes the limits, puts the device policy in force, and returns the files the launcher
   * writes the PID into. On failure, whatever was created is removed again.
   */
  async create(
    id: ContainerId,
    limits: ResourceLimits,
    devices: readonly DeviceRule[],
  ): Promise<CgroupPlacement> {
    this.validate(limits);
    const created: string[] = [];
    const custom: ContainerParents | undefined =
      limits.cgroupParent === undefined
        ? undefined
        : { parents: this.customParents(limits.cgroupParent), made: [] };
    const made: string[] = [];
    // Recorded first: whatever fails next, a teardown finds what this made.
    if (custom) this.options.parentIndex?.set(id, custom);
    try {
      for (const site of this.sites) {
        const parent = custom?.parents[site.mountPoint] ?? site.parent;
        const dir = posix.join(parent.directory, id);
        made.push(...this.makeContainerDir(site, parent, dir));
        if (custom) this.options.parentIndex?.set(id, { ...custom, made });
        created.push(dir);
        if (siteHas(site, 'cpuset')) this.inheritCpuset(site, parent.directory, dir);
      }
      this.writeLimits(id, limits);
      this.confineDevices(id, devices);
      this.accountBlockIo(id);
    } catch (error) {
      for (const dir of created.reverse()) this.tryRmdir(dir);
      for (const dir of [...made].reverse()) this.tryRmdir(dir);
      for (const site of this.sites) this.tryRmdir(site.parent.directory);
      this.options.parentIndex?.remove(id);
      throw error;
    }
    return this.placementOf(id);
  }

  /**
   * v1 blkio counts a disk's I/O (`blkio.throttle.io_service_bytes`) only where throttling is
   * active: on Linux 6.1 only in a direction with a rule, on later kernels once the disk has any
   * rule. A rule of 1 TiB/s each way for the disk under koker's root (far above any disk, so it
   * never delays a request) turns counting on everywhere: `stats` then shows BLOCK I/O as on
   * cgroup2. (A rule of 0 means "no rule", which 6.1 does not count under.)
   */
  private accountBlockIo(id: ContainerId): void {
    const site = this.sites.find((s) => s.kind === 'v1' && s.controllers.includes('blkio'));
    if (!site) return;
    for (const disk of this.options.accountedDisks?.() ?? []) {
      for (const name of ['blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device']) {
        const file = posix.join(this.directory(site, id), name);
        const value = `${disk} ${ACCOUNTING_BPS}`;
        try {
          this.log.debug({ file, value }, 'Account block I/O');
          this.fs.write(file, value);
        } catch (error) {
          // No throttling in this kernel, or not a disk it knows: BLOCK I/O then shows 0.
          this.log.debug({ file, err: error }, 'Cannot account block I/O');
        }
      }
    }
  }

  /** The container's cgroup in a site, its parent made first if needed; returns the parents made. */
  private makeContainerDir(site: CgroupSite, parent: CgroupParent, dir: string): string[] {
    // A concurrent destroy may remove the (then empty) parent between our steps: make it again.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const made = this.ensureParent(site, parent);
        this.log.debug({ path: dir }, 'Create cgroup');
        if (!this.fs.mkdir(dir)) throw new ConflictError(`cgroup ${dir} already exists`);
        return made;
      } catch (error) {
        if (attempt < 3 && !this.fs.exists(parent.directory)) continue;
        throw this.hostError(`cannot create cgroup ${dir}`, error);
      }
    }
  }

  /**
   * The parent cgroup, each missing level made (as Docker does for --cgroup-parent), controllers
   * enabled for the children of the levels koker made and of the parent (cgroup2), cpusets
   * inherited (v1). Cgroups that existed above the parent are left as they are. Returns what it made.
   */
  private ensureParent(site: CgroupSite, parent: CgroupParent): string[] {
    const made: string[] = [];
    const levels = posix.relative(site.mountPoint, parent.directory).split('/').filter(Boolean);
    let dir = site.mountPoint;
    for (const level of levels) {
      dir = posix.join(dir, level);
      try {
        if (this.fs.mkdir(dir)) made.push(dir);
      } catch (error) {
        throw this.hostError(`cannot create the parent cgroup ${dir}`, error);
      }
      if (made.includes(dir)) {
        this.log.debug({ path: dir }, 'Create parent cgroup');
        if (dir !== parent.directory) this.delegate(site, dir);
      }
    }
    this.delegate(site, parent.directory);
    return made;
  }

  /** Controllers enabled for a parent's children (cgroup2); the cpuset a v1 cgroup needs to be joined. */
  private delegate(site: CgroupSite, dir: string): void {
    if (site.kind === 'v2' && site.enable.length > 0) {
      const offered = new Set(this.fs.read(posix.join(dir, 'cgroup.controllers')).split(/\s+/));
      const enable = site.enable.filter((c) => offered.has(c));
      const file = posix.join(dir, 'cgroup.subtree_control');
      const enabled = new Set(this.fs.read(file).split(/\s+/));
      const missing = enable.filter((c) => !enabled.has(c));
      if (missing.length > 0) {
        const value = missing.map((c) => `+${c}`).join(' ');
        this.log.debug({ file, value }, 'Enable cgroup controllers');
        this.writeFile(file, value);
      }
    }
    if (siteHas(site, 'cpuset')) this.inheritCpuset(site, posix.dirname(dir), dir);
  }

  /**
   * v1 cpuset cgroups start with no CPUs and no memory nodes, and a process cannot join such a
   * cgroup: copy the parent's. (cgroup2 inherits by itself: an empty cpuset means the parent's.)
   */
  private inheritCpuset(site: CgroupSite, from: string, to: string): void {
    if (site.kind !== 'v1') return;
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = this.fs.read(posix.join(to, file)).trim();
      if (own !== '') continue;
      const value = this.fs.read(posix.join(from, file)).trim();
      this.log.debug({ file: posix.join(to, file), value }, 'Inherit cpuset');
      this.writeFile(posix.join(to, file), value);
    }
  }

  private swapAccounting(id: ContainerId): boolean {
    const site = this.sites.find((s) => siteHas(s, 'memory'));
    if (!site) return false;
    // v1: memsw files exist in every memory cgroup; cgroup2: memory.swap.max in non-root ones.
    return site.kind === 'v1'
      ? this.fs.exists(posix.join(site.mountPoint, 'memory.memsw.limit_in_bytes'))
      : this.fs.exists(posix.join(this.directory(site, id), 'memory.swap.max'));
  }

  private writeLimits(id: ContainerId, limits: ResourceLimits, options: { growing?: boolean } = {}): void {
    const swapAccounting = this.swapAccounting(id);
    if (!swapAccounting && limits.memorySwap !== undefined) {
      this.log.warn(
        { memorySwap: limits.memorySwap },
        'This kernel does not account swap in cgroups (swapaccount off or no swap controller): memory is limited, swap is not',
      );
    }
    let writes = this.options.translate(limits, { swapAccounting });
    // memsw may never be below the memory limit: when both grow, memsw goes first.
    if (options.growing)
      writes = [
        ...writes.filter((w) => w.file === 'memory.memsw.limit_in_bytes'),
        ...writes.filter((w) => w.file !== 'memory.memsw.limit_in_bytes'),
      ];
    for (const write of writes) {
      const site = this.sites.find((s) => siteHas(s, write.controller));
      if (!site) throw new HostError(`no cgroup hierarchy manages the ${write.controller} controller`);
      const file = posix.join(this.directory(site, id), write.file);
      this.log.debug({ file, value: write.value }, WHAT[write.controller]);
      this.writeFile(file, write.value);
    }
  }

  /**
   * The device policy, before any process joins: in the v1 devices hierarchy where there is one
   * (legacy, hybrid), else as a device program attached to the cgroup2 cgroup (unified).
   */
  private confineDevices(id: ContainerId, rules: readonly DeviceRule[]): void {
    const v1 = this.sites.find((s) => s.kind === 'v1' && s.controllers.includes('devices'));
    if (v1) {
      const dir = this.directory(v1, id);
      for (const write of v1DeviceWrites(rules)) {
        const file = posix.join(dir, write.file);
        this.log.debug({ file, value: write.value }, 'Set device rule');
        this.writeFile(file, write.value);
      }
      return;
    }
    const v2 = this.sites.find((s) => s.kind === 'v2');
    if (!v2) {
      throw new HostError('no devices hierarchy and no cgroup2 hierarchy: koker cannot confine devices', {
        hint: 'mount the v1 devices controller or cgroup2',
      });
    }
    const dir = this.directory(v2, id);
    this.log.debug({ path: dir, rules: rules.length }, 'Attach device filter');
    try {
      (this.options.deviceAttacher ?? bpfDeviceAttacher).attach(dir, deviceFilterProgram(rules));
    } catch (error) {
      throw this.hostError(`cannot attach the device filter to ${dir}`, error);
    }
  }

  private writeFile(file: string, value: string): void {
    try {
      this.fs.write(file, value);
    } catch (error) {
      const code = errno(error);
      throw this.hostError(
        code === 'EINVAL' || code === 'ERANGE'
          ? `the kernel refused "${value}" for ${file}`
          : `cannot write "${value}" to ${file}`,
        error,
      );
    }
  }

  private hostError(message: string, error: unknown): Error {
    if (error instanceof HostError || error instanceof ConflictError) return error;
    const code = errno(error);
    return new HostError(`${message}: ${code ?? (error as Error).message}`, {
      cause: error,
      ...(code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? { hint: 'koker needs root and a writable cgroup filesystem' }
        : {}),
    });
  }

  /** The files an `exec`'d process writes its PID into; NotFoundError once the cgroups are gone. */
  placementOf(id: ContainerId): CgroupPlacement {
    const procsFiles = this.sites.map((site) => posix.join(this.directory(site, id), 'cgroup.procs'));
    for (const file of procsFiles)
      if (!this.fs.exists(file))
        throw new NotFoundError(`container ${id.slice(0, 12)} has no cgroup (${posix.dirname(file)})`);
    const nsSite = this.sites.find((s) => s.kind === 'v2') ?? this.sites[0];
    return {
      procsFiles,
      ...(nsSite ? { namespaceRoot: posix.join(this.parentOf(nsSite, id).cgroupPath, id) } : {}),
    };
  }

  stats(id: ContainerId): ResourceStats {
    this.placementOf(id);
    if (this.options.statsFrom === 'v2') {
      const site = this.sites.find((s) => s.kind === 'v2');
      if (!site) return {};
      return v2Stats((file) => this.readOptional(posix.join(this.directory(site, id), file)));
    }
    return v1Stats((controller, file) => {
      const site = this.sites.find((s) => s.kind === 'v1' && s.controllers.includes(controller));
      return site ? this.readOptional(posix.join(this.directory(site, id), file)) : undefined;
    });
  }

  oomKilled(id: ContainerId): boolean {
    try {
      return (this.stats(id).oomKills ?? 0) > 0;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /**
   * Freezes (`docker pause`) or thaws every process of the container: the v1 freezer where there
   * is one (legacy, hybrid), else cgroup2's `cgroup.freeze`; resolves once the kernel reports the
   * state reached (`freezer.state`, `cgroup.events`).
   */
  async setPaused(id: ContainerId, paused: boolean): Promise<void> {
    this.placementOf(id);
    const freezer = this.freezer(id);
    if (!freezer) throw new HostError('this host has no cgroup freezer (v1 freezer or cgroup.freeze)');
    const value = paused ? freezer.frozen : freezer.thawed;
    this.log.debug({ file: freezer.file, value }, paused ? 'Freeze cgroup' : 'Thaw cgroup');
    this.writeFile(freezer.file, value);
    const deadline = Date.now() + 10_000;
    while (this.isFrozen(freezer) !== paused) {
      if (Date.now() > deadline) {
        if (paused) this.setFrozen(freezer, false);
        throw new HostError(
          `the kernel did not ${paused ? 'freeze' : 'thaw'} ${posix.dirname(freezer.file)}`,
        );
      }
      await sleep(5);
    }
  }

  /** Whether the container is frozen (false when it has no cgroups or no freezer). */
  paused(id: ContainerId): boolean {
    const freezer = this.freezer(id);
    if (!freezer || !this.fs.exists(freezer.file)) return false;
    return this.isFrozen(freezer);
  }

  private isFrozen(freezer: { file: string; frozen: string }): boolean {
    if (freezer.frozen === 'FROZEN') return this.readOptional(freezer.file)?.trim() === 'FROZEN';
    const events = this.readOptional(posix.join(posix.dirname(freezer.file), 'cgroup.events')) ?? '';
    return /^frozen 1$/m.test(events);
  }

  /**
   * New limits for a running container (`docker update`): only the limits given are written, in
   * the order the kernel accepts them (a memory limit below current memsw is raised first).
   */
  update(id: ContainerId, limits: ResourceLimits): void {
    this.placementOf(id);
    this.validate(limits);
    this.writeLimits(id, limits, { growing: this.memoryGrows(id, limits) });
  }

  /** Whether a new memory limit is above the current one (v1: memsw must then be raised first). */
  private memoryGrows(id: ContainerId, limits: ResourceLimits): boolean {
    const site = this.sites.find((s) => s.kind === 'v1' && s.controllers.includes('memory'));
    if (!site || limits.memory === undefined) return false;
    const current = Number(this.readOptional(posix.join(this.directory(site, id), 'memory.limit_in_bytes')));
    return Number.isFinite(current) && limits.memory > current;
  }

  /** IDs with a cgroup under koker's parent in any site. */
  list(): ContainerId[] {
    const ids = new Set<string>();
    for (const site of this.sites) {
      let names: string[] = [];
      try {
        names = this.fs.children(site.parent.directory);
      } catch (error) {
        if (errno(error) !== 'ENOENT') throw this.hostError(`cannot list ${site.parent.directory}`, error);
      }
      for (const name of names) if (CONTAINER_DIR.test(name)) ids.add(name);
    }
    // Those placed elsewhere by --cgroup-parent, while a cgroup of theirs is left.
    for (const id of this.options.parentIndex?.ids() ?? [])
      if (this.sites.some((site) => this.fs.exists(this.directory(site, id)))) ids.add(id);
    return [...ids].sort() as ContainerId[];
  }

  /**
   * Kills every process left in the container's cgroups, waits until they are gone, removes the
   * cgroups, then koker's parent if no other container uses it. Missing cgroups are fine.
   */
  async destroy(id: ContainerId): Promise<void> {
    const custom = this.options.parentIndex?.get(id);
    const dirs = this.sites.map((site) => this.directory(site, id)).filter((dir) => this.fs.exists(dir));
    if (dirs.length === 0) {
      if (custom) this.releaseParents(id, custom);
      return;
    }
    this.log.debug({ container: id.slice(0, 12) }, 'Remove container cgroups');
    const deadline = Date.now() + (this.options.killTimeoutMs ?? 10_000);
    let lastKill = 0;
    for (;;) {
      const left = this.processesIn(dirs);
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        throw new HostError(
          `processes ${left.join(', ')} of container ${id.slice(0, 12)} did not die; its cgroups stay`,
          { hint: 'they may be stuck in the kernel (D state); run koker system prune later' },
        );
      }
      if (Date.now() - lastKill >= 250) {
        this.killAll(id, left);
        lastKill = Date.now();
      }
      await sleep(5);
    }
    for (const dir of dirs.reverse()) await this.rmdirWhenFree(dir, deadline);
    for (const site of this.sites) this.tryRmdir(site.parent.directory);
    if (custom) this.releaseParents(id, custom);
  }

  /** The parents koker made for a `--cgroup-parent` container, once empty (deepest first), and its entry. */
  private releaseParents(id: ContainerId, custom: ContainerParents): void {
    for (const dir of [...custom.made].reverse()) this.tryRmdir(dir);
    this.options.parentIndex?.remove(id);
  }

  private processesIn(dirs: readonly string[]): number[] {
    const pids = new Set<number>();
    for (const dir of dirs) {
      const text = this.readOptional(posix.join(dir, 'cgroup.procs'));
      for (const pid of parseProcs(text ?? '')) pids.add(pid);
    }
    return [...pids];
  }

  /**
   * cgroup2's `cgroup.kill` (Linux 5.14+) kills the whole cgroup at once, new forks included.
   * Without it, processes are frozen first (v1 freezer or `cgroup.freeze`) so a fork bomb cannot
   * outrun the kill, each PID gets SIGKILL, then the cgroup thaws so they can die.
   */
  private killAll(id: ContainerId, pids: readonly number[]): void {
    const v2 = this.sites.find((s) => s.kind === 'v2');
    const killFile = v2 && posix.join(this.directory(v2, id), 'cgroup.kill');
    if (v2 && killFile && this.fs.exists(killFile)) {
      // A launch that failed halfway may have left a process in the v1 cgroups only.
      const reached = new Set(this.processesIn([this.directory(v2, id)]));
      this.log.debug({ file: killFile, pids: pids.length }, 'Kill processes left in cgroup');
      this.writeFile(killFile, '1');
      this.sigkill(pids.filter((pid) => !reached.has(pid)));
      return;
    }
    const freezer = this.freezer(id);
    if (freezer) this.setFrozen(freezer, true);
    const all = freezer ? this.processesIn([posix.dirname(freezer.file)]) : pids;
    this.log.debug({ pids: all.join(',') }, 'Kill processes left in cgroup');
    this.sigkill(all.length > 0 ? all : pids);
    if (freezer) this.setFrozen(freezer, false);
  }

  private sigkill(pids: readonly number[]): void {
    for (const pid of pids) {
      try {
        (this.options.kill ?? ((p: number) => process.kill(p, 'SIGKILL')))(pid);
      } catch (error) {
        if (errno(error) !== 'ESRCH') throw this.hostError(`cannot kill process ${pid}`, error);
      }
    }
  }

  private freezer(id: ContainerId): { file: string; frozen: string; thawed: string } | undefined {
    for (const site of this.sites) {
      const dir = this.directory(site, id);
      if (site.kind === 'v1' && site.controllers.includes('freezer'))
        return { file: posix.join(dir, 'freezer.state'), frozen: 'FROZEN', thawed: 'THAWED' };
      if (site.kind === 'v2' && this.fs.exists(posix.join(dir, 'cgroup.freeze')))
        return { file: posix.join(dir, 'cgroup.freeze'), frozen: '1', thawed: '0' };
    }
    return undefined;
  }

  private setFrozen(freezer: { file: string; frozen: string; thawed: string }, frozen: boolean): void {
    const value = frozen ? freezer.frozen : freezer.thawed;
    this.log.debug({ file: freezer.file, value }, frozen ? 'Freeze cgroup' : 'Thaw cgroup');
    try {
      this.fs.write(freezer.file, value);
    } catch (error) {
      // Freezing only makes the kill race-free; killing without it still works.
      this.log.debug({ file: freezer.file, error: errno(error) }, 'Cannot freeze cgroup');
    }
  }

  private async rmdirWhenFree(dir: string, deadline: number): Promise<void> {
    for (;;) {
      try {
        this.log.debug({ path: dir }, 'Remove cgroup');
        this.fs.rmdir(dir);
        return;
      } catch (error) {
        const code = errno(error);
        if (code === 'ENOENT') return;
        // A killed process may still be on its way out of the cgroup.
        if (code === 'EBUSY' && Date.now() < deadline) {
          await sleep(10);
          continue;
        }
        throw this.hostError(`cannot remove cgroup ${dir}`, error);
      }
    }
  }

  private tryRmdir(dir: string): void {
    try {
      this.fs.rmdir(dir);
      this.log.debug({ path: dir }, 'Remove cgroup');
    } catch {
      // In use by another container, or already gone: both fine for a parent.
    }
  }

  private readOptional(path: string): string | undefined {
    try {
      return this.fs.read(path);
    } catch {
      return undefined;
    }
  }
}
