import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What koker could leave on the host, by kind; each entry names one object. */
export interface HostSnapshot {
  readonly mounts: string[];
  readonly links: string[];
  readonly netns: string[];
  readonly cgroups: string[];
  readonly iptables: string[];
  /** koker-dns, the resolver of user networks: it exits once no container of one has a name. */
  readonly resolvers: string[];
}

const KOKER = /koker/i;
/** Cgroups of ours and of the engines the interoperability tests drive (podman's with cgroupfs). */
const CGROUP = /koker|libpod/i;

function run(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function cgroupDirs(root: string, depth: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number) => {
    if (level > depth) return;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      try {
        if (!statSync(path).isDirectory()) continue;
      } catch {
        continue;
      }
      if (CGROUP.test(entry)) found.push(path);
      walk(path, level + 1);
    }
  };
  walk(root, 0);
  return found;
}

export function snapshotHost(): HostSnapshot {
  return {
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => KOKER.test(l))
      .map((l) => l.split(' ')[4] ?? l),
    links: run('ip', ['-o', 'link', 'show'])
      .split('\n')
      .filter((l) => /koker|veth/i.test(l))
      .map((l) => l.split(':')[1]?.trim() ?? l),
    netns: run('ip', ['netns', 'list']).split('\n').filter(Boolean),
    cgroups: cgroupDirs('/sys/fs/cgroup', 4),
    iptables: ['iptables-save', 'ip6tables-save'].flatMap((tool) =>
      run(tool, [])
        .split('\n')
        .filter((l) => KOKER.test(l)),
    ),
    // Not zombies: one that exited waits for the host's init to reap it.
    resolvers: run('ps', ['-C', 'koker-dns', '-o', 'pid=,stat=,args='])
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^\s*\d+\s+Z/.test(l))
      .map((l) => l.trim()),
  };
}

/** Objects present in `after` and not in `before`: what the suite leaked. */
export function leaksBetween(before: HostSnapshot, after: HostSnapshot): string[] {
  const leaks: string[] = [];
  for (const kind of Object.keys(after) as (keyof HostSnapshot)[]) {
    const known = new Set(before[kind]);
    for (const item of after[kind]) if (!known.has(item)) leaks.push(`${kind}: ${item}`);
  }
  return leaks;
}
