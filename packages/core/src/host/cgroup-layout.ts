import { readFileSync, statfsSync } from 'node:fs';
import { type MountEntry } from './mountinfo.js';

/** How the host mounts cgroups: youki's CgroupSetup, systemd's three modes. */
export type CgroupMode = 'legacy' | 'hybrid' | 'unified' | 'none';

export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_SUPER_MAGIC = 0x27e0eb;

export interface V1Hierarchy {
  /** Where it is mounted, e.g. `/sys/fs/cgroup/cpu,cpuacct`. */
  readonly mountPoint: string;
  /** Controllers bound to it, e.g. `['cpu', 'cpuacct']`, or `['name=systemd']`. */
  readonly controllers: readonly string[];
  /** The path inside the hierarchy that `mountPoint` shows (not `/` inside a cgroup namespace). */
  readonly root: string;
}

export interface CgroupLayout {
  readonly mode: CgroupMode;
  /** The cgroup2 mount, if any (`/sys/fs/cgroup` on unified, `/sys/fs/cgroup/unified` on hybrid). */
  readonly unifiedMount?: string;
  /** Controllers cgroup2 offers at its root (`cgroup.controllers`). */
  readonly unifiedControllers: readonly string[];
  readonly v1: readonly V1Hierarchy[];
  /** This process's own cgroup per hierarchy: key `''` for cgroup2, else a v1 controller list. */
  readonly self: Readonly<Record<string, string>>;
}

const V1_CONTROLLERS = new Set([
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'blkio',
  'perf_event',
  'net_prio',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
]);

/** Parses /proc/<pid>/cgroup: `hierarchy-id:controllers:path` per line. */
export function parseProcCgroup(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    result[line.slice(first + 1, second)] = line.slice(second + 1);
  }
  return result;
}

/**
 * Detects the layout from the mount table (never from assumed paths: `cpu,cpuacct` may be one
 * hierarchy or two), confirming the cgroup2 mount with its statfs magic.
 */
export function detectCgroupLayout(
  mounts: readonly MountEntry[],
  procSelfCgroup: string,
  readControllers: (mountPoint: string) => string = (mp) => readFileSync(`${mp}/cgroup.controllers`, 'utf8'),
  fsMagic: (path: string) => number = (path) => statfsSync(path).type,
): CgroupLayout {
  const v1: V1Hierarchy[] = mounts
    .filter((m) => m.fsType === 'cgroup')
    .map((m) => ({
      mountPoint: m.mountPoint,
      root: m.root,
      controllers: m.superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name=')),
    }));
  const unified = mounts.find(
    (m) => m.fsType === 'cgroup2' && safeMagic(fsMagic, m.mountPoint) === CGROUP2_SUPER_MAGIC,
  );
  const unifiedControllers = unified
    ? safeRead(readControllers, unified.mountPoint).split(/\s+/).filter(Boolean)
    : [];
  const hasV1Controllers = v1.some((h) => h.controllers.some((c) => !c.startsWith('name=')));
  const mode: CgroupMode = hasV1Controllers ? (unified ? 'hybrid' : 'legacy') : unified ? 'unified' : 'none';
  return {
    mode,
    ...(unified ? { unifiedMount: unified.mountPoint } : {}),
    unifiedControllers,
    v1,
    self: parseProcCgroup(procSelfCgroup),
  };
}

function safeMagic(fsMagic: (path: string) => number, path: string): number | undefined {
  try {
    return fsMagic(path);
  } catch {
    return undefined;
  }
}

function safeRead(read: (path: string) => string, path: string): string {
  try {
    return read(path);
  } catch {
    return '';
  }
}

/** The v1 hierarchy that carries `controller`, if any. */
export function v1HierarchyOf(layout: CgroupLayout, controller: string): V1Hierarchy | undefined {
  return layout.v1.find((h) => h.controllers.includes(controller));
}
