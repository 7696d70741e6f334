import {
  formatDecimalSize,
  inBinaryUnits,
  shortContainerId,
  type ContainerId,
  type ResourceStats,
} from '@koker/core';

/** A container `stats` shows: its ID and, when koker's records are at hand, its name. */
export interface StatsTarget {
  readonly id: ContainerId;
  readonly name?: string;
  /** Its first process, whose network namespace NET I/O is read from. */
  readonly pid?: number;
}

/** Bytes received and sent by a network namespace's interfaces (loopback left out, as Docker). */
export interface NetIo {
  readonly rx: number;
  readonly tx: number;
}

/** `/proc/<pid>/net/dev`: per interface, receive bytes first and transmit bytes ninth. */
export function parseNetDev(text: string): NetIo {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    rx += fields[0] ?? 0;
    tx += fields[8] ?? 0;
  }
  return { rx, tx };
}

/** One reading of a container's cgroups, with when it was taken. */
export interface StatsSample {
  readonly stats: ResourceStats;
  /** process.hrtime.bigint() at the reading, in nanoseconds. */
  readonly at: bigint;
  readonly net?: NetIo;
}

export const STATS_HEADERS = [
  'CONTAINER ID',
  'NAME',
  'CPU %',
  'MEM USAGE / LIMIT',
  'MEM %',
  'NET I/O',
  'BLOCK I/O',
  'PIDS',
] as const;

/** `1.2kB / 648B`: Docker's decimal sizes, three significant digits. */
const pair = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '--' : `${formatDecimalSize(a)} / ${formatDecimalSize(b)}`;

/** Docker's `units.BytesSize`: binary units, four significant digits, no space (`7.629MiB`). */
export function dockerBytes(value: number): string {
  const { amount, unit } = inBinaryUnits(value);
  return `${Number(amount.toPrecision(4))}${unit}`;
}

/**
 * CPU % as `docker stats` shows it: CPU time used between two readings over the wall time
 * between them; 100% is one CPU busy.
 */
export function cpuPercent(previous: StatsSample | undefined, current: StatsSample): number | undefined {
  const before = previous?.stats.cpuUsageNanos;
  const after = current.stats.cpuUsageNanos;
  if (previous === undefined || before === undefined || after === undefined) return undefined;
  const wall = Number(current.at - previous.at);
  return wall > 0 ? (Math.max(0, after - before) / wall) * 100 : undefined;
}

const percent = (value: number | undefined) => (value === undefined ? '--' : `${value.toFixed(2)}%`);

/** A table row; an unlimited container's memory limit is the host's memory, as in Docker. */
export function statsRow(
  target: StatsTarget,
  previous: StatsSample | undefined,
  current: StatsSample,
  hostMemory: number,
): string[] {
  const { memoryUsage, memoryLimit, pids } = current.stats;
  const limit = memoryLimit ?? hostMemory;
  return [
    shortContainerId(target.id),
    target.name ?? '--',
    percent(cpuPercent(previous, current)),
    memoryUsage === undefined ? '--' : `${dockerBytes(memoryUsage)} / ${dockerBytes(limit)}`,
    percent(memoryUsage === undefined || limit === 0 ? undefined : (memoryUsage / limit) * 100),
    pair(current.net?.rx, current.net?.tx),
    pair(current.stats.blockReadBytes, current.stats.blockWriteBytes),
    String(pids ?? 0),
  ];
}

/** A container without cgroups (not running): Docker shows it with nothing measured. */
export function stoppedRow(target: StatsTarget): string[] {
  return [shortContainerId(target.id), target.name ?? '--', '--', '--', '--', '--', '--', '--'];
}

/** One row as `stats --format` templates see it: Docker's stats context fields, sorted for `{{json .}}`. */
export interface StatsEntry {
  readonly BlockIO: string;
  readonly CPUPerc: string;
  /** The name or ID as given (Docker's Container), else the short ID. */
  readonly Container: string;
  readonly ID: string;
  readonly MemPerc: string;
  readonly MemUsage: string;
  readonly Name: string;
  readonly NetIO: string;
  readonly PIDs: string;
}

export function statsEntry(row: readonly string[], given?: string): StatsEntry {
  const [id = '', name = '', cpu = '', mem = '', memPerc = '', net = '', block = '', pids = ''] = row;
  return {
    BlockIO: block,
    CPUPerc: cpu,
    Container: given ?? id,
    ID: id,
    MemPerc: memPerc,
    MemUsage: mem,
    Name: name,
    NetIO: net,
    PIDs: pids,
  };
}

/** Docker's default `stats` table, as a template, with its headers. */
export const STATS_TABLE =
  'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const STATS_TEMPLATE_HEADERS = {
  BlockIO: 'BLOCK I/O',
  CPUPerc: 'CPU %',
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  MemPerc: 'MEM %',
  MemUsage: 'MEM USAGE / LIMIT',
  Name: 'NAME',
  NetIO: 'NET I/O',
  PIDs: 'PIDS',
} as const;
