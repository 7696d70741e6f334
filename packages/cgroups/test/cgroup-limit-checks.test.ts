import { describe, expect, it } from 'vitest';
import { HostError, InvalidValueError, parseByteSize, parseCpus, type ResourceLimits } from '@koker/core';
import { checkLimits, controllersFor, type LimitCapabilities } from '../src/index.js';

const host: LimitCapabilities = {
  controllers: new Set(['memory', 'cpu', 'cpuset', 'pids']),
  controllersSource: 'test',
  cpus: [0, 1],
};

function rejection(limits: ResourceLimits, capabilities = host): string {
  try {
    checkLimits(limits, capabilities);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('checkLimits', () => {
  it('accepts sensible limits and no limits', () => {
    expect(() =>
      checkLimits(
        {
          memory: parseByteSize('10m'),
          memorySwap: parseByteSize('20m'),
          nanoCpus: parseCpus('2'),
          cpuShares: 512,
          cpusetCpus: '0-1',
          pidsLimit: 1,
        },
        host,
      ),
    ).not.toThrow();
    expect(() => checkLimits({}, { ...host, controllers: new Set() })).not.toThrow();
    expect(() => checkLimits({ pidsLimit: 'unlimited', memory: parseByteSize('6m') }, host)).not.toThrow();
  });

  it.each<[string, ResourceLimits, string]>([
    [
      'memory below 6 MiB',
      { memory: parseByteSize('4m') },
      'invalid memory limit "4 MiB": the minimum is 6 MiB',
    ],
    [
      'swap without memory',
      { memorySwap: parseByteSize('20m') },
      'invalid memory+swap limit "20 MiB": it needs a memory limit too (-m/--memory or --mem): it counts memory plus swap',
    ],
    [
      'memory+swap below memory',
      { memory: parseByteSize('20m'), memorySwap: parseByteSize('10m') },
      'invalid memory+swap limit "10 MiB": it counts memory plus swap, so it must be at least the memory limit (20 MiB)',
    ],
    [
      '--cpus below 0.01',
      { nanoCpus: parseCpus('0.001') },
      'invalid CPU count "0.001": the range is 0.01 to 2, as this host has 2 CPUs available',
    ],
    [
      'more CPUs than the host has',
      { nanoCpus: parseCpus('3') },
      'invalid CPU count "3": the range is 0.01 to 2, as this host has 2 CPUs available',
    ],
    [
      'cpu-shares below 2',
      { cpuShares: 1 },
      'invalid CPU shares "1": expected a whole number from 2 to 262144 (1024 is the default weight)',
    ],
    [
      'cpu-shares above 262144',
      { cpuShares: 262145 },
      'invalid CPU shares "262145": expected a whole number from 2 to 262144 (1024 is the default weight)',
    ],
    [
      'a cpuset this host lacks',
      { cpusetCpus: '1-3' },
      'invalid cpuset "1-3": CPUs 2-3 are not available on this host (available: 0-1)',
    ],
    [
      'a PIDs limit of 0',
      { pidsLimit: 0 },
      'invalid PIDs limit "0": expected a whole number of at least 1, or -1 for no limit',
    ],
    [
      'a negative PIDs limit',
      { pidsLimit: -5 },
      'invalid PIDs limit "-5": expected a whole number of at least 1, or -1 for no limit',
    ],
  ])('rejects %s', (_name, limits, message) => {
    expect(() => checkLimits(limits, host)).toThrow(InvalidValueError);
    expect(rejection(limits)).toBe(message);
  });

  it('says which controller a limit needs when the host lacks it', () => {
    const without = { ...host, controllers: new Set(['cpu']), controllersSource: 'controllers from /x: cpu' };
    expect(() => checkLimits({ pidsLimit: 5 }, without)).toThrow(HostError);
    try {
      checkLimits({ pidsLimit: 5 }, without);
    } catch (error) {
      expect((error as HostError).hint).toContain('KOKER_CGROUP_PARENT=/koker');
    }
    expect(rejection({ memory: parseByteSize('10m') }, without)).toBe(
      'the memory limit needs the memory cgroup controller, which is not available here (controllers from /x: cpu)',
    );
  });

  it('knows which controllers limits need', () => {
    expect(controllersFor({})).toEqual([]);
    expect(controllersFor({ pidsLimit: 'unlimited' })).toEqual([]);
    expect(
      controllersFor({ memory: parseByteSize('8m'), cpuShares: 2, cpusetCpus: '0', pidsLimit: 3 }),
    ).toEqual(['memory', 'cpu', 'cpuset', 'pids']);
  });
});

describe('the memory reservation', () => {
  it('may not be above the memory limit (Docker refuses it)', () => {
    expect(rejection({ memory: parseByteSize('32m'), memoryReservation: parseByteSize('64m') })).toContain(
      'memory reservation',
    );
    expect(() =>
      checkLimits({ memory: parseByteSize('64m'), memoryReservation: parseByteSize('32m') }, host),
    ).not.toThrow();
  });
});
