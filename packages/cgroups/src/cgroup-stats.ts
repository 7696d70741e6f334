import { type ResourceStats } from '@koker/core';
import { parseCounter, parseFlatKeyed, parseLimit } from './cgroup-files.js';

/** Reads a file of the container's cgroup for a controller; undefined when it does not exist. */
export type ControllerFileReader = (controller: string, file: string) => string | undefined;

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Usage as `docker stats` shows it: memory without the inactive page cache (what the kernel can
 * drop at once), CPU time in nanoseconds, throttling, PIDs, OOM kills. v1 files.
 */
export function v1Stats(read: ControllerFileReader): ResourceStats {
  const memoryStat = parseFlatKeyed(read('memory', 'memory.stat') ?? '');
  const usage = parseCounter(read('memory', 'memory.usage_in_bytes') ?? '');
  const inactive = memoryStat.total_inactive_file ?? 0;
  const cpuStat = parseFlatKeyed(read('cpu', 'cpu.stat') ?? '');
  const oom = parseFlatKeyed(read('memory', 'memory.oom_control') ?? '');
  return defined({
    memoryUsage: usage === undefined ? undefined : Math.max(0, usage - inactive),
    memoryLimit: parseLimit(read('memory', 'memory.limit_in_bytes') ?? ''),
    cpuUsageNanos: parseCounter(read('cpuacct', 'cpuacct.usage') ?? ''),
    cpuPeriods: cpuStat.nr_periods,
    cpuThrottledPeriods: cpuStat.nr_throttled,
    pids: parseCounter(read('pids', 'pids.current') ?? ''),
    pidsLimit: parseLimit(read('pids', 'pids.max') ?? ''),
    oomKills: oom.oom_kill,
    ...v1BlockIo(
      read('blkio', 'blkio.throttle.io_service_bytes_recursive') ??
        read('blkio', 'blkio.throttle.io_service_bytes'),
    ),
  });
}

/** `8:0 Read 4096` lines (and a `Total`), summed over devices. */
export function v1BlockIo(
  text: string | undefined,
): Pick<ResourceStats, 'blockReadBytes' | 'blockWriteBytes'> {
  if (text === undefined) return {};
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const [device, op, value] = line.trim().split(/\s+/);
    if (!device?.includes(':') || value === undefined) continue;
    if (op === 'Read') read += Number(value);
    else if (op === 'Write') write += Number(value);
  }
  return { blockReadBytes: read, blockWriteBytes: write };
}

/** `8:0 rbytes=4096 wbytes=0 ...` lines of io.stat, summed over devices. */
export function v2BlockIo(
  text: string | undefined,
): Pick<ResourceStats, 'blockReadBytes' | 'blockWriteBytes'> {
  if (text === undefined) return {};
  let read = 0;
  let write = 0;
  for (const match of text.matchAll(/\brbytes=(\d+)/g)) read += Number(match[1]);
  for (const match of text.matchAll(/\bwbytes=(\d+)/g)) write += Number(match[1]);
  return { blockReadBytes: read, blockWriteBytes: write };
}

/** The same from cgroup2 files (`cpu.stat` is always there: CPU time is core accounting). */
export function v2Stats(read: (file: string) => string | undefined): ResourceStats {
  const memoryStat = parseFlatKeyed(read('memory.stat') ?? '');
  const usage = parseCounter(read('memory.current') ?? '');
  const inactive = memoryStat.inactive_file ?? 0;
  const cpuStat = parseFlatKeyed(read('cpu.stat') ?? '');
  const events = parseFlatKeyed(read('memory.events') ?? '');
  return defined({
    memoryUsage: usage === undefined ? undefined : Math.max(0, usage - inactive),
    memoryLimit: parseLimit(read('memory.max') ?? ''),
    cpuUsageNanos: cpuStat.usage_usec === undefined ? undefined : cpuStat.usage_usec * 1000,
    cpuPeriods: cpuStat.nr_periods,
    cpuThrottledPeriods: cpuStat.nr_throttled,
    pids: parseCounter(read('pids.current') ?? ''),
    pidsLimit: parseLimit(read('pids.max') ?? ''),
    oomKills: events.oom_kill,
    ...v2BlockIo(read('io.stat')),
  });
}
