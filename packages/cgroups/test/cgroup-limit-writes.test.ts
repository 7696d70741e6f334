import { describe, expect, it } from 'vitest';
import {
  cfsQuotaUs,
  controllersFor,
  cpuSharesToWeight,
  v1LimitWrites,
  v2LimitWrites,
  v2SwapMax,
} from '../src/index.js';
import { nanoCpus, parseByteSize, parseCpus, type ResourceLimits } from '@koker/core';

const MiB = 1024 * 1024;
const mem = (text: string) => parseByteSize(text);

describe('v1 limit files', () => {
  it('writes every limit, memory before memsw, the CFS period before its quota', () => {
    const limits: ResourceLimits = {
      memory: mem('10m'),
      memorySwap: mem('30m'),
      nanoCpus: parseCpus('1.5'),
      cpuShares: 512,
      cpusetCpus: '1,0',
      pidsLimit: 64,
    };
    expect(v1LimitWrites(limits, { swapAccounting: true })).toEqual([
      { controller: 'memory', file: 'memory.limit_in_bytes', value: String(10 * MiB) },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(30 * MiB) },
      { controller: 'cpu', file: 'cpu.shares', value: '512' },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '150000' },
      { controller: 'cpuset', file: 'cpuset.cpus', value: '0-1' },
      { controller: 'pids', file: 'pids.max', value: '64' },
    ]);
  });

  it.each([
    ['memory alone: as much swap again (memsw = 2 x memory)', {}, String(20 * MiB)],
    ['--memory-swap equal to memory: no swap', { memorySwap: mem('10m') }, String(10 * MiB)],
    ['--memory-swap -1: unlimited swap', { memorySwap: 'unlimited' as const }, '-1'],
    ['--memory-swap 1g: memory + swap total', { memorySwap: mem('1g') }, String(1024 * MiB)],
  ])('%s', (_name, extra, memsw) => {
    const writes = v1LimitWrites({ memory: mem('10m'), ...extra }, { swapAccounting: true });
    expect(writes.find((w) => w.file === 'memory.memsw.limit_in_bytes')?.value).toBe(memsw);
  });

  it('writes no memsw file where the kernel has no swap accounting', () => {
    expect(v1LimitWrites({ memory: mem('10m'), memorySwap: mem('20m') }, { swapAccounting: false })).toEqual([
      { controller: 'memory', file: 'memory.limit_in_bytes', value: String(10 * MiB) },
    ]);
  });

  it('writes pids.max "max" for an unlimited PIDs limit, and nothing for no limits', () => {
    expect(v1LimitWrites({ pidsLimit: 'unlimited' }, { swapAccounting: true })).toEqual([
      { controller: 'pids', file: 'pids.max', value: 'max' },
    ]);
    expect(v1LimitWrites({}, { swapAccounting: true })).toEqual([]);
  });
});

describe('cgroup2 limit files', () => {
  it('writes every limit: memory.swap.max holds swap only, cpu.max has its space', () => {
    const limits: ResourceLimits = {
      memory: mem('10m'),
      memorySwap: mem('30m'),
      nanoCpus: parseCpus('0.5'),
      cpuShares: 1024,
      cpusetCpus: '0-1,3',
      pidsLimit: 10,
    };
    expect(v2LimitWrites(limits, { swapAccounting: true })).toEqual([
      { controller: 'memory', file: 'memory.max', value: String(10 * MiB) },
      { controller: 'memory', file: 'memory.swap.max', value: String(20 * MiB) },
      { controller: 'cpu', file: 'cpu.weight', value: '39' },
      { controller: 'cpu', file: 'cpu.max', value: '50000 100000' },
      { controller: 'cpuset', file: 'cpuset.cpus', value: '0-1,3' },
      { controller: 'pids', file: 'pids.max', value: '10' },
    ]);
  });

  it.each([
    ['memory alone: as much swap as memory', undefined, String(10 * MiB)],
    ['--memory-swap equal to memory: swap 0', mem('10m'), '0'],
    ['--memory-swap -1: max', 'unlimited' as const, 'max'],
    ['--memory-swap 64m: 54 MiB of swap', mem('64m'), String(54 * MiB)],
  ])('%s', (_name, memorySwap, swapMax) => {
    expect(v2SwapMax(10 * MiB, memorySwap)).toBe(swapMax);
    const writes = v2LimitWrites(
      { memory: mem('10m'), ...(memorySwap === undefined ? {} : { memorySwap }) },
      { swapAccounting: true },
    );
    expect(writes.find((w) => w.file === 'memory.swap.max')?.value).toBe(swapMax);
  });

  it('writes no memory.swap.max where the kernel has no swap accounting', () => {
    expect(v2LimitWrites({ memory: mem('10m') }, { swapAccounting: false }).map((w) => w.file)).toEqual([
      'memory.max',
    ]);
  });

  it.each([
    [2, 1],
    [1024, 39],
    [512, 20],
    [2048, 79],
    [262144, 10000],
  ])('cpu-shares %d is cpu.weight %d (1 + (shares - 2) * 9999 / 262142)', (shares, weight) => {
    expect(cpuSharesToWeight(shares)).toBe(weight);
  });

  it.each([
    ['0.01', 1000],
    ['0.5', 50000],
    ['1', 100000],
    ['2.25', 225000],
  ])('--cpus %s is a quota of %d µs per 100 ms', (cpus, quota) => {
    expect(cfsQuotaUs(parseCpus(cpus))).toBe(quota);
    expect(v2LimitWrites({ nanoCpus: parseCpus(cpus) }, { swapAccounting: true })).toEqual([
      { controller: 'cpu', file: 'cpu.max', value: `${quota} 100000` },
    ]);
  });

  it('writes nothing for --cpus 0 (no limit, as Docker)', () => {
    expect(v2LimitWrites({ nanoCpus: nanoCpus(0) }, { swapAccounting: true })).toEqual([]);
    expect(v1LimitWrites({ nanoCpus: nanoCpus(0) }, { swapAccounting: true })).toEqual([]);
  });
});

describe('--memory-reservation', () => {
  it('is memory.soft_limit_in_bytes on v1 and memory.low on cgroup2, and needs the memory controller', () => {
    const limits: ResourceLimits = { memoryReservation: mem('64m') };
    expect(v1LimitWrites(limits, { swapAccounting: true })).toEqual([
      { controller: 'memory', file: 'memory.soft_limit_in_bytes', value: String(64 * MiB) },
    ]);
    expect(v2LimitWrites(limits, { swapAccounting: true })).toEqual([
      { controller: 'memory', file: 'memory.low', value: String(64 * MiB) },
    ]);
    expect(controllersFor(limits)).toEqual(['memory']);
  });
});
