import { describe, expect, it } from 'vitest';
import { InvalidValueError, parseByteSize } from '@koker/core';
import {
  describeOom,
  formatCpuList,
  parseCounter,
  parseCpuList,
  parseFlatKeyed,
  parseLimit,
  parseProcs,
  readKernelCpuList,
  v1Stats,
  v2Stats,
} from '../src/index.js';

describe('cgroup file formats', () => {
  it('parses flat keyed files', () => {
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n')).toEqual({
      oom_kill_disable: 0,
      under_oom: 0,
      oom_kill: 2,
    });
    expect(parseFlatKeyed('')).toEqual({});
  });

  it.each([
    ['max', undefined],
    ['-1', undefined],
    ['9223372036854771712', undefined],
    ['10485760\n', 10485760],
    ['64', 64],
  ])('reads limit %j as %j', (text, value) => {
    expect(parseLimit(text)).toBe(value);
  });

  it('reads counters and procs', () => {
    expect(parseCounter('123\n')).toBe(123);
    expect(parseCounter('')).toBeUndefined();
    expect(parseProcs('12\n34\n\n')).toEqual([12, 34]);
  });
});

describe('CPU lists', () => {
  it.each([
    ['0', [0], '0'],
    ['0-2,4', [0, 1, 2, 4], '0-2,4'],
    ['4,0-1,1', [0, 1, 4], '0-1,4'],
    [' 3 ', [3], '3'],
  ])('%j', (text, cpus, canonical) => {
    expect(parseCpuList(text)).toEqual(cpus);
    expect(formatCpuList(cpus)).toBe(canonical);
  });

  it.each(['', 'a', '1-', '3-1', '0,,1', '-1', '1-99999'])('rejects %j', (text) => {
    expect(() => parseCpuList(text)).toThrow(InvalidValueError);
  });

  it('reads an empty kernel list as no CPUs', () => {
    expect(readKernelCpuList('\n')).toEqual([]);
  });
});

describe('stats', () => {
  it('reads v1 files as docker stats shows them (inactive file cache left out)', () => {
    const files: Record<string, string> = {
      'memory.usage_in_bytes': '5000000',
      'memory.stat': 'cache 100\ntotal_inactive_file 1000000\n',
      'memory.limit_in_bytes': '10485760',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
      'cpuacct.usage': '2500000000',
      'cpu.stat': 'nr_periods 40\nnr_throttled 12\nthrottled_time 99\n',
      'pids.current': '3',
      'pids.max': 'max',
    };
    expect(v1Stats((_c, file) => files[file])).toEqual({
      memoryUsage: 4000000,
      memoryLimit: 10485760,
      cpuUsageNanos: 2500000000,
      cpuPeriods: 40,
      cpuThrottledPeriods: 12,
      pids: 3,
      oomKills: 1,
    });
  });

  it('reads cgroup2 files', () => {
    const files: Record<string, string> = {
      'memory.current': '3000000',
      'memory.stat': 'anon 1\ninactive_file 500000\n',
      'memory.max': 'max',
      'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
      'cpu.stat': 'usage_usec 1500\nnr_periods 7\nnr_throttled 5\n',
      'pids.current': '2',
      'pids.max': '10',
    };
    expect(v2Stats((file) => files[file])).toEqual({
      memoryUsage: 2500000,
      cpuUsageNanos: 1500000,
      cpuPeriods: 7,
      cpuThrottledPeriods: 5,
      pids: 2,
      pidsLimit: 10,
      oomKills: 1,
    });
  });
});

describe('describeOom', () => {
  it("says the container was killed and by which limit, in the Go koker's words", () => {
    expect(describeOom({ memory: parseByteSize('10m') })).toBe(
      'container was killed: out of memory (limit 10 MiB)',
    );
    expect(describeOom({ memory: parseByteSize('1536m') })).toBe(
      'container was killed: out of memory (limit 1.5 GiB)',
    );
    expect(describeOom({})).toBe('container was killed: out of memory');
  });
});
