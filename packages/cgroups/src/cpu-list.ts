import { InvalidValueError } from '@koker/core';

// The kernel's list format (cpuset.cpus, /sys/devices/system/cpu/online): "0-2,4", "" when empty.
const RANGE = /^(\d+)(?:-(\d+))?$/;
// Far above any real machine; stops "0-99999999" from allocating a huge array.
const MAX_CPU = 8191;

/** Parses a CPU list such as `0-2,4` (Docker's `--cpuset-cpus`) into sorted, unique CPU numbers. */
export function parseCpuList(input: string, what = 'cpuset'): number[] {
  const text = input.trim();
  if (text === '') throw new InvalidValueError(what, input, 'expected a CPU list such as 0-2,4');
  const cpus = new Set<number>();
  for (const part of text.split(',')) {
    const match = RANGE.exec(part.trim());
    if (!match)
      throw new InvalidValueError(what, input, `"${part}" is not a CPU number or range (e.g. 0-2,4)`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new InvalidValueError(what, input, `range "${part}" ends before it starts`);
    if (last > MAX_CPU) throw new InvalidValueError(what, input, `CPU ${last} is beyond ${MAX_CPU}`);
    for (let cpu = first; cpu <= last; cpu += 1) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Reads a list the kernel wrote; an empty file means no CPUs. */
export function readKernelCpuList(text: string): number[] {
  return text.trim() === '' ? [] : parseCpuList(text, 'kernel CPU list');
}

/** `[0, 1, 2, 4]` -> `0-2,4`: the kernel's canonical form. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j += 1;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
