import { readFileSync } from 'node:fs';

/** A process told apart from a later one reusing its PID: its start time and the boot it ran in. */
export interface ProcessOwner {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
  readonly start: number;
  readonly boot: string;
}

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function currentProcess(): ProcessOwner {
  return { pid: process.pid, start: startTime(process.pid) ?? 0, boot: bootId() };
}

export function isAlive(owner: ProcessOwner): boolean {
  return owner.boot === bootId() && startTime(owner.pid) === owner.start;
}
