import { describe, expect, it } from 'vitest';
import { newContainerId } from '@koker/core';
import {
  cpuPercent,
  dockerBytes,
  parseNetDev,
  statsRow,
  stoppedRow,
  type StatsSample,
} from '../src/stats/stats-rows.js';

const at = (ms: number) => BigInt(ms) * 1_000_000n;

describe('stats rows', () => {
  it('formats sizes as docker stats does (units.BytesSize)', () => {
    expect(dockerBytes(0)).toBe('0B');
    expect(dockerBytes(1536)).toBe('1.5KiB');
    expect(dockerBytes(8_000_000)).toBe('7.629MiB');
    expect(dockerBytes(10 * 1024 * 1024)).toBe('10MiB');
    expect(dockerBytes(16.5 * 1024 ** 3)).toBe('16.5GiB');
  });

  it('computes CPU % from two readings: 100% is one CPU busy', () => {
    const first: StatsSample = { stats: { cpuUsageNanos: 1_000_000_000 }, at: at(0) };
    const second: StatsSample = { stats: { cpuUsageNanos: 1_500_000_000 }, at: at(1000) };
    expect(cpuPercent(first, second)).toBe(50);
    expect(cpuPercent(undefined, second)).toBeUndefined();
    expect(cpuPercent({ stats: {}, at: at(0) }, second)).toBeUndefined();
  });

  it('shows a row with the memory limit, or the host memory when unlimited', () => {
    const id = newContainerId();
    const previous: StatsSample = { stats: { cpuUsageNanos: 0 }, at: at(0) };
    const current: StatsSample = {
      stats: {
        cpuUsageNanos: 250_000_000,
        memoryUsage: 5 * 1024 * 1024,
        memoryLimit: 10 * 1024 * 1024,
        pids: 3,
        blockReadBytes: 4096,
        blockWriteBytes: 0,
      },
      at: at(500),
      net: { rx: 1200, tx: 648 },
    };
    expect(statsRow({ id, name: 'web' }, previous, current, 1024 ** 3)).toEqual([
      id.slice(0, 12),
      'web',
      '50.00%',
      '5MiB / 10MiB',
      '50.00%',
      '1.2kB / 648B',
      '4.1kB / 0B',
      '3',
    ]);
    expect(
      statsRow({ id }, undefined, { stats: { memoryUsage: 1024 ** 2 }, at: at(0) }, 4 * 1024 ** 3),
    ).toEqual([id.slice(0, 12), '--', '--', '1MiB / 4GiB', '0.02%', '--', '--', '0']);
  });

  it('shows a container that is not running with nothing measured', () => {
    const id = newContainerId();
    expect(stoppedRow({ id, name: 'done' })).toEqual([
      id.slice(0, 12),
      'done',
      '--',
      '--',
      '--',
      '--',
      '--',
      '--',
    ]);
  });

  it('reads NET I/O from /proc/PID/net/dev without the loopback', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
      '  eth0:    1200      10    0    0    0     0          0         0      648       6    0    0    0     0       0          0',
    ].join('\n');
    expect(parseNetDev(text)).toEqual({ rx: 1200, tx: 648 });
  });
});
