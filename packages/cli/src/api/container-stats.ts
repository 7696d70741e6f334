import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Resources, type ContainerRecord } from '@koker/core';
import { type CliContext } from '../context.js';

/** The host's CPU time in nanoseconds (all CPUs, from /proc/stat), as dockerd's system_cpu_usage. */
function systemCpuNanos(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((sum, value) => sum + Number(value), 0);
  // USER_HZ is 100 on Linux.
  return ticks * 10_000_000;
}

interface CpuSample {
  readonly cpu_usage: { readonly total_usage: number };
  readonly system_cpu_usage: number;
  readonly online_cpus: number;
  readonly throttling_data: {
    readonly periods: number;
    readonly throttled_periods: number;
    readonly throttled_time: number;
  };
}

/** One stats document in dockerd's shape: CPU now and before (for the CLI's CPU %), memory, pids. */
export class StatsSampler {
  private previous: { cpu: CpuSample; read: string } | undefined;

  constructor(
    private readonly ctx: CliContext,
    private readonly record: ContainerRecord,
  ) {}

  async sample(): Promise<Record<string, unknown>> {
    const stats = await (await this.ctx.driver(Resources)).stats(this.record.id);
    const read = new Date().toISOString();
    const cpu: CpuSample = {
      cpu_usage: { total_usage: stats.cpuUsageNanos ?? 0 },
      system_cpu_usage: systemCpuNanos(),
      online_cpus: cpus().length,
      throttling_data: {
        periods: stats.cpuPeriods ?? 0,
        throttled_periods: stats.cpuThrottledPeriods ?? 0,
        throttled_time: 0,
      },
    };
    const before = this.previous;
    this.previous = { cpu, read };
    return {
      read,
      preread: before?.read ?? '0001-01-01T00:00:00Z',
      pids_stats: { current: stats.pids ?? 0, ...(stats.pidsLimit ? { limit: stats.pidsLimit } : {}) },
      blkio_stats: {},
      num_procs: 0,
      storage_stats: {},
      cpu_stats: cpu,
      precpu_stats: before?.cpu ?? {
        cpu_usage: { total_usage: 0 },
        system_cpu_usage: 0,
        online_cpus: cpu.online_cpus,
        throttling_data: {},
      },
      // Unlimited: the host's memory, as dockerd reports it.
      memory_stats: { usage: stats.memoryUsage ?? 0, limit: stats.memoryLimit || totalmem(), stats: {} },
      name: `/${this.record.name}`,
      id: this.record.id,
    };
  }
}
