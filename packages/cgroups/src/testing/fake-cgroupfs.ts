import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import { type DeviceProgramAttacher } from '../bpf-device-attach.js';
import { type CgroupFs } from '../cgroup-fs.js';
import { type CgroupLayout, type CgroupMode, type V1Hierarchy, type MountEntry } from '@koker/core';
import { type HostView } from '@koker/core';

export interface FakeCgroupHostOptions {
  readonly mode: Exclude<CgroupMode, 'none'>;
  /** Whether the kernel accounts swap (memsw files on v1, memory.swap.max on cgroup2). */
  readonly swapAccounting?: boolean;
  /** Whether cgroup2 cgroups have `cgroup.kill` (Linux 5.14+). */
  readonly cgroupKill?: boolean;
  /** koker's own cgroup per hierarchy, as /proc/self/cgroup names them (`''` for cgroup2). */
  readonly self?: Readonly<Record<string, string>>;
  /** CPUs of the root cpuset. */
  readonly cpus?: string;
  /** Controllers enabled in the cgroup2 root's subtree_control (unified hosts). */
  readonly rootSubtreeControl?: readonly string[];
  /** v1 hierarchies as [mount dir name, controllers]; default: systemd's layout with `cpu,cpuacct`. */
  readonly v1Mounts?: readonly (readonly [string, readonly string[]])[];
}

const UNLIMITED_V1 = '9223372036854771712';

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

interface Hierarchy {
  readonly kind: 'v1' | 'v2';
  readonly mountPoint: string;
  readonly controllers: readonly string[];
}

/**
 * A cgroup filesystem in a temporary directory that behaves like the kernel's where koker relies
 * on it: mkdir creates the control files of the hierarchy's controllers, writes never create
 * files, rmdir refuses a cgroup with processes or children, `cgroup.kill` empties a cgroup,
 * `cgroup.subtree_control` only enables what `cgroup.controllers` offers.
 */
export class FakeCgroupHost {
  readonly base: string;
  readonly layout: CgroupLayout;
  readonly mounts: MountEntry[];
  readonly fs: CgroupFs;
  /** Every write in order, as [path relative to base, value]. */
  readonly writes: [string, string][] = [];
  /** PIDs "killed" through `kill` or `cgroup.kill`. */
  readonly killed: number[] = [];
  /** Device programs attached, as [cgroup path relative to base, program bytes]. */
  readonly devicePrograms: [string, Buffer][] = [];
  private readonly hierarchies: Hierarchy[] = [];
  private readonly swap: boolean;
  private readonly cgroupKill: boolean;

  constructor(options: FakeCgroupHostOptions) {
    this.base = mkdtempSync(posix.join(tmpdir(), 'koker-fake-cgroupfs-'));
    this.swap = options.swapAccounting ?? true;
    this.cgroupKill = options.cgroupKill ?? true;
    const cpus = options.cpus ?? '0-3';
    const v1: V1Hierarchy[] = [];
    const mounts: MountEntry[] = [];
    let id = 100;
    const mount = (mountPoint: string, fsType: string, superOptions: string[]) => {
      mounts.push({
        id: id++,
        parentId: 1,
        root: '/',
        mountPoint,
        options: ['rw'],
        fsType,
        source: fsType,
        superOptions,
      });
    };
    let unifiedMount: string | undefined;
    let unifiedControllers: string[] = [];
    if (options.mode === 'legacy' || options.mode === 'hybrid') {
      const v1Mounts = options.v1Mounts ?? [
        ['cpu,cpuacct', ['cpu', 'cpuacct']],
        ['cpuset', ['cpuset']],
        ['memory', ['memory']],
        ['pids', ['pids']],
        ['freezer', ['freezer']],
        ['devices', ['devices']],
        ['blkio', ['blkio']],
        ['net_cls,net_prio', ['net_cls', 'net_prio']],
        ['perf_event', ['perf_event']],
        ['systemd', ['name=systemd']],
      ];
      for (const [name, controllers] of v1Mounts) {
        const mountPoint = posix.join(this.base, name);
        mkdirSync(mountPoint);
        this.hierarchies.push({ kind: 'v1', mountPoint, controllers });
        this.populate(mountPoint, { kind: 'v1', mountPoint, controllers }, true);
        if (controllers.includes('cpuset')) {
          writeFileSync(posix.join(mountPoint, 'cpuset.cpus'), cpus);
          writeFileSync(posix.join(mountPoint, 'cpuset.effective_cpus'), cpus);
          writeFileSync(posix.join(mountPoint, 'cpuset.mems'), '0');
          writeFileSync(posix.join(mountPoint, 'cpuset.effective_mems'), '0');
        }
        v1.push({ mountPoint, controllers, root: '/' });
        mount(mountPoint, 'cgroup', ['rw', ...controllers]);
      }
    }
    if (options.mode === 'unified' || options.mode === 'hybrid') {
      unifiedMount =
        options.mode === 'unified' ? posix.join(this.base, 'cgroup2') : posix.join(this.base, 'unified');
      mkdirSync(unifiedMount);
      unifiedControllers =
        options.mode === 'unified' ? ['cpuset', 'cpu', 'io', 'memory', 'pids'] : ['hugetlb'];
      const hierarchy: Hierarchy = { kind: 'v2', mountPoint: unifiedMount, controllers: unifiedControllers };
      this.hierarchies.push(hierarchy);
      writeFileSync(posix.join(unifiedMount, 'cgroup.controllers'), unifiedControllers.join(' '));
      writeFileSync(
        posix.join(unifiedMount, 'cgroup.subtree_control'),
        (options.rootSubtreeControl ?? (options.mode === 'unified' ? unifiedControllers : [])).join(' '),
      );
      writeFileSync(posix.join(unifiedMount, 'cgroup.procs'), '');
      writeFileSync(posix.join(unifiedMount, 'cpu.stat'), 'usage_usec 0\n');
      if (unifiedControllers.includes('cpuset'))
        writeFileSync(posix.join(unifiedMount, 'cpuset.cpus.effective'), cpus);
      mount(unifiedMount, 'cgroup2', ['rw', 'nsdelegate']);
    }
    this.mounts = mounts;
    this.layout = {
      mode: options.mode,
      ...(unifiedMount ? { unifiedMount } : {}),
      unifiedControllers,
      v1,
      self: options.self ?? this.defaultSelf(),
    };
    this.fs = this.makeFs();
  }

  private defaultSelf(): Record<string, string> {
    const self: Record<string, string> = {};
    for (const h of this.hierarchies) self[h.kind === 'v2' ? '' : h.controllers.join(',')] = '/';
    return self;
  }

  /** A HostView for probes and drivers. */
  host(isRoot = true): HostView {
    return {
      kernelRelease: '6.1.0-fake',
      mounts: this.mounts,
      filesystems: [],
      isRoot,
      cgroupLayout: this.layout,
    };
  }

  path(...parts: string[]): string {
    return posix.join(this.base, ...parts);
  }

  read(path: string): string {
    return readFileSync(path, 'utf8');
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  /** Puts a PID into a cgroup as if a process had joined it. */
  addProcess(dir: string, pid: number): void {
    const file = posix.join(dir, 'cgroup.procs');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `${text}${pid}\n`);
  }

  /** Sets a counter or stat file the kernel would maintain. */
  setKernelFile(path: string, value: string): void {
    writeFileSync(path, value);
  }

  /** The kill function for drivers: removes the PID from every fake cgroup. */
  readonly kill = (pid: number): void => {
    this.killed.push(pid);
    for (const h of this.hierarchies) this.removePid(h.mountPoint, pid);
  };

  /** Every directory under the base that is not a mount point (cgroups that exist). */
  cgroups(): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = posix.join(dir, entry.name);
        if (!this.hierarchies.some((h) => h.mountPoint === path)) found.push(path.slice(this.base.length));
        walk(path);
      }
    };
    walk(this.base);
    return found.sort();
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }

  private removePid(dir: string, pid: number): void {
    const file = posix.join(dir, 'cgroup.procs');
    if (existsSync(file)) {
      const kept = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && l !== String(pid));
      writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
    }
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) this.removePid(posix.join(dir, entry.name), pid);
  }

  private hierarchyOf(path: string): Hierarchy {
    const h = this.hierarchies
      .filter((x) => path === x.mountPoint || path.startsWith(`${x.mountPoint}/`))
      .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    if (!h) throw fsError('ENOENT', `${path} is not in a cgroup hierarchy`);
    return h;
  }

  /** The control files the kernel creates in a new cgroup. */
  private populate(dir: string, h: Hierarchy, root = false): void {
    const files: Record<string, string> = { 'cgroup.procs': '' };
    if (h.kind === 'v1') {
      files.tasks = '';
      files['cgroup.clone_children'] = '0';
      for (const c of h.controllers) {
        if (c === 'memory') {
          Object.assign(files, {
            'memory.limit_in_bytes': UNLIMITED_V1,
            'memory.usage_in_bytes': '0',
            'memory.max_usage_in_bytes': '0',
            'memory.failcnt': '0',
            'memory.stat': 'cache 0\nrss 0\ntotal_inactive_file 0\n',
            'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
          });
          if (this.swap) {
            files['memory.memsw.limit_in_bytes'] = UNLIMITED_V1;
            files['memory.memsw.usage_in_bytes'] = '0';
          }
        }
        if (c === 'cpu')
          Object.assign(files, {
            'cpu.shares': '1024',
            'cpu.cfs_period_us': '100000',
            'cpu.cfs_quota_us': '-1',
            'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
          });
        if (c === 'cpuacct') files['cpuacct.usage'] = '0';
        if (c === 'cpuset')
          Object.assign(files, {
            'cpuset.cpus': '',
            'cpuset.mems': '',
            'cpuset.effective_cpus': '',
            'cpuset.effective_mems': '',
          });
        if (c === 'pids' && !root)
          Object.assign(files, { 'pids.max': 'max', 'pids.current': '0', 'pids.events': 'max 0\n' });
        if (c === 'freezer' && !root) files['freezer.state'] = 'THAWED';
        if (c === 'devices')
          Object.assign(files, {
            'devices.allow': '',
            'devices.deny': '',
            // A new cgroup starts with its parent's rules.
            'devices.list': root
              ? 'a *:* rwm\n'
              : readFileSync(posix.join(posix.dirname(dir), 'devices.list'), 'utf8'),
          });
      }
    } else {
      const parentControl = posix.join(posix.dirname(dir), 'cgroup.subtree_control');
      const controllers = readFileSync(parentControl, 'utf8').split(/\s+/).filter(Boolean);
      Object.assign(files, {
        'cgroup.controllers': controllers.join(' '),
        'cgroup.subtree_control': '',
        'cgroup.events': 'populated 0\nfrozen 0\n',
        'cgroup.freeze': '0',
        'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
      });
      if (this.cgroupKill) files['cgroup.kill'] = '';
      for (const c of controllers) {
        if (c === 'memory') {
          Object.assign(files, {
            'memory.max': 'max',
            'memory.current': '0',
            'memory.stat': 'anon 0\nfile 0\ninactive_file 0\n',
            'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
          });
          if (this.swap) Object.assign(files, { 'memory.swap.max': 'max', 'memory.swap.current': '0' });
        }
        if (c === 'cpu')
          Object.assign(files, {
            'cpu.max': 'max 100000',
            'cpu.weight': '100',
            'cpu.stat':
              'usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n',
          });
        if (c === 'cpuset')
          Object.assign(files, {
            'cpuset.cpus': '',
            'cpuset.mems': '',
            'cpuset.cpus.effective': readFileSync(
              posix.join(posix.dirname(dir), 'cpuset.cpus.effective'),
              'utf8',
            ),
          });
        if (c === 'pids')
          Object.assign(files, { 'pids.max': 'max', 'pids.current': '0', 'pids.events': 'max 0\n' });
      }
    }
    for (const [name, value] of Object.entries(files)) {
      const file = posix.join(dir, name);
      if (!existsSync(file)) writeFileSync(file, value);
    }
  }

  /** `devices.list` after a write: `a` resets the list, any other rule is added (allow) or dropped (deny). */
  private writeDeviceRule(dir: string, allow: boolean, value: string): void {
    const file = posix.join(dir, 'devices.list');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    if (value === 'a') {
      writeFileSync(file, allow ? 'a *:* rwm\n' : '');
      return;
    }
    if (!/^[abc] (\d+|\*):(\d+|\*) [rwm]{1,3}$/.test(value)) throw fsError('EINVAL', `write ${value}`);
    const kept = allow ? [...lines, value] : lines.filter((l) => l !== value);
    writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
  }

  /** Records programs attached to cgroup2 cgroups, as bpf(2) would attach them. */
  readonly deviceAttacher: DeviceProgramAttacher = {
    attach: (dir, program) => {
      if (!existsSync(dir)) throw fsError('ENOENT', `open ${dir}`);
      if (this.hierarchyOf(dir).kind !== 'v2') throw fsError('EBADF', `${dir} is not a cgroup2 cgroup`);
      this.devicePrograms.push([dir.slice(this.base.length), Buffer.from(program)]);
    },
  };

  private makeFs(): CgroupFs {
    return {
      mkdir: (path) => {
        if (existsSync(path)) return false;
        if (!existsSync(posix.dirname(path))) throw fsError('ENOENT', `mkdir ${path}`);
        const h = this.hierarchyOf(path);
        mkdirSync(path);
        this.populate(path, h);
        return true;
      },
      rmdir: (path) => {
        if (!existsSync(path)) throw fsError('ENOENT', `rmdir ${path}`);
        const entries = readdirSync(path, { withFileTypes: true });
        if (entries.some((e) => e.isDirectory())) throw fsError('EBUSY', `rmdir ${path}: has children`);
        if (readFileSync(posix.join(path, 'cgroup.procs'), 'utf8').trim() !== '')
          throw fsError('EBUSY', `rmdir ${path}: has processes`);
        rmSync(path, { recursive: true });
      },
      write: (path, value) => {
        if (!existsSync(path) || statSync(path).isDirectory()) throw fsError('ENOENT', `open ${path}`);
        this.writes.push([path.slice(this.base.length), value]);
        const name = posix.basename(path);
        const dir = posix.dirname(path);
        if (name === 'cgroup.kill') {
          for (const pid of readFileSync(posix.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
            this.kill(Number(pid));
          return;
        }
        if (name === 'cgroup.freeze') {
          // The kernel reports the state it reached in cgroup.events; the fake reaches it at once.
          writeFileSync(path, value);
          const events = posix.join(dir, 'cgroup.events');
          const text = readFileSync(events, 'utf8').replace(/^frozen \d$/m, `frozen ${value.trim()}`);
          writeFileSync(events, text);
          return;
        }
        if (name === 'cgroup.subtree_control') {
          const offered = readFileSync(posix.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
          const enabled = new Set(readFileSync(path, 'utf8').split(/\s+/).filter(Boolean));
          for (const token of value.split(/\s+/).filter(Boolean)) {
            const c = token.slice(1);
            if (!offered.includes(c)) throw fsError('ENOENT', `controller ${c} not available in ${dir}`);
            if (token.startsWith('+')) enabled.add(c);
            else enabled.delete(c);
          }
          writeFileSync(path, [...enabled].join(' '));
          return;
        }
        if (name === 'cgroup.procs') {
          this.addProcess(dir, Number(value));
          return;
        }
        if (name === 'devices.allow' || name === 'devices.deny') {
          this.writeDeviceRule(dir, name === 'devices.allow', value);
          return;
        }
        if (name === 'cpuset.cpus') writeFileSync(posix.join(dir, 'cpuset.effective_cpus'), value);
        writeFileSync(path, value);
      },
      read: (path) => {
        if (!existsSync(path)) throw fsError('ENOENT', `open ${path}`);
        return readFileSync(path, 'utf8');
      },
      exists: (path) => existsSync(path),
      children: (path) => {
        if (!existsSync(path)) throw fsError('ENOENT', `scandir ${path}`);
        return readdirSync(path, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      },
    };
  }
}
