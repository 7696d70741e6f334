import { readFileSync } from 'node:fs';

/** One line of /proc/<pid>/mountinfo (see proc(5)). */
export interface MountEntry {
  readonly id: number;
  readonly parentId: number;
  /** Path of the mount's root inside its filesystem (a cgroup path for cgroup mounts). */
  readonly root: string;
  readonly mountPoint: string;
  readonly options: readonly string[];
  /** The optional fields: the propagation (`shared:N`, `master:N`, `propagate_from:N`), if any. */
  readonly optionalFields?: readonly string[];
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: readonly string[];
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6) continue;
    entries.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescape(fields[3] ?? ''),
      mountPoint: unescape(fields[4] ?? ''),
      options: (fields[5] ?? '').split(','),
      optionalFields: fields.slice(6, dash),
      fsType: fields[dash + 1] ?? '',
      source: unescape(fields[dash + 2] ?? ''),
      superOptions: (fields[dash + 3] ?? '').split(','),
    });
  }
  return entries;
}

export function readMountInfo(pid: number | 'self' = 'self'): MountEntry[] {
  return parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}
