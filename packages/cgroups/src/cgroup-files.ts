/**
 * Parsers for the formats of cgroup files: flat keyed (`memory.stat`, `cpu.stat`,
 * `memory.events`, `memory.oom_control`: "key value" per line) and single values that may be
 * `max` (v2) or v1's "unlimited" (a page-rounded 2^63 - 1).
 */
export function parseFlatKeyed(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) result[key] = Number(value);
  }
  return result;
}

// v1 reports "no limit" as PAGE_COUNTER_MAX * page size, about 2^63; anything this large is none.
const V1_UNLIMITED = 2 ** 62;

/** A limit file's value: a number, or undefined for no limit (`max`, `-1`, v1's huge value). */
export function parseLimit(text: string): number | undefined {
  const value = text.trim();
  if (value === 'max' || value === '-1' || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n >= V1_UNLIMITED) return undefined;
  return n;
}

/** A counter file's value (`memory.usage_in_bytes`, `pids.current`, `cpuacct.usage`). */
export function parseCounter(text: string): number | undefined {
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** The PIDs in a `cgroup.procs` file. */
export function parseProcs(text: string): number[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}
