import { describe, expect, it } from 'vitest';
import { InvalidValueError, UsageError } from '@koker/core';
import { limitsFromFlags } from '../src/run/limits-from-flags.js';

const MiB = 1024 * 1024;

describe('limitsFromFlags', () => {
  it('reads no flags as no limits', () => {
    expect(limitsFromFlags({})).toEqual({});
  });

  it("reads Docker's -m with units and the Go koker's --mem in MiB", () => {
    expect(limitsFromFlags({ memory: '512m' })).toEqual({ memory: 512 * MiB });
    expect(limitsFromFlags({ memory: '1.5g' })).toEqual({ memory: 1.5 * 1024 * MiB });
    expect(limitsFromFlags({ memory: '104857600' })).toEqual({ memory: 100 * MiB });
    expect(limitsFromFlags({ mem: '10' })).toEqual({ memory: 10 * MiB });
    expect(limitsFromFlags({ mem: '1g' })).toEqual({ memory: 1024 * MiB });
    expect(limitsFromFlags({ memory: '0' })).toEqual({});
  });

  it("reads --memory-swap as Docker's memory + swap total", () => {
    expect(limitsFromFlags({ memory: '10m', memorySwap: '30m' })).toEqual({
      memory: 10 * MiB,
      memorySwap: 30 * MiB,
    });
    expect(limitsFromFlags({ memory: '10m', memorySwap: '-1' })).toEqual({
      memory: 10 * MiB,
      memorySwap: 'unlimited',
    });
    expect(limitsFromFlags({ memory: '10m', memorySwap: '0' })).toEqual({ memory: 10 * MiB });
  });

  it("reads the Go koker's --swap as MiB on top of memory (no longer ignored)", () => {
    expect(limitsFromFlags({ mem: '100', swap: '50' })).toEqual({ memory: 100 * MiB, memorySwap: 150 * MiB });
    expect(limitsFromFlags({ mem: '100', swap: '0' })).toEqual({ memory: 100 * MiB, memorySwap: 100 * MiB });
    expect(limitsFromFlags({ memory: '1g', swap: '-1' })).toEqual({
      memory: 1024 * MiB,
      memorySwap: 'unlimited',
    });
    expect(() => limitsFromFlags({ swap: '50' })).toThrow(
      '--swap needs a memory limit: it adds swap on top of --mem or -m/--memory',
    );
  });

  it('reads CPU flags', () => {
    expect(limitsFromFlags({ cpus: '1.5', cpuShares: '512', cpusetCpus: '3,0-1' })).toEqual({
      nanoCpus: 1.5e9,
      cpuShares: 512,
      cpusetCpus: '0-1,3',
    });
    expect(limitsFromFlags({ cpus: '0', cpuShares: '0' })).toEqual({});
    // Out-of-range shares are the driver's to reject, with the kernel's range in the message.
    expect(limitsFromFlags({ cpuShares: '-3' })).toEqual({ cpuShares: -3 });
  });

  it('reads --pids-limit and the Go koker’s --pids, -1 and 0 meaning no limit', () => {
    expect(limitsFromFlags({ pidsLimit: '64' })).toEqual({ pidsLimit: 64 });
    expect(limitsFromFlags({ pids: '10' })).toEqual({ pidsLimit: 10 });
    expect(limitsFromFlags({ pidsLimit: '-1' })).toEqual({ pidsLimit: 'unlimited' });
    expect(limitsFromFlags({ pids: '0' })).toEqual({ pidsLimit: 'unlimited' });
  });

  it.each([
    [{ memory: '1m', mem: '1' }, 'conflicting options: -m/--memory and --mem both set the memory limit'],
    [
      { memory: '1g', memorySwap: '2g', swap: '1' },
      'conflicting options: --memory-swap and --swap both set the swap limit',
    ],
    [{ pidsLimit: '5', pids: '5' }, 'conflicting options: --pids-limit and --pids both set the PIDs limit'],
  ])('refuses two flags for one limit: %j', (flags, message) => {
    expect(() => limitsFromFlags(flags)).toThrow(UsageError);
    expect(() => limitsFromFlags(flags)).toThrow(message);
  });

  it.each([
    [{ memory: '-5m' }, 'invalid size "-5m"'],
    [{ memory: 'lots' }, 'invalid size "lots"'],
    [{ memorySwap: '-2' }, 'invalid size "-2"'],
    [{ cpus: '-1' }, 'invalid CPU count "-1"'],
    [{ cpuShares: '1.5' }, 'invalid CPU shares "1.5": expected a whole number'],
    [{ cpusetCpus: '0-' }, 'invalid cpuset "0-"'],
    [{ pidsLimit: 'many' }, 'invalid PIDs limit "many": expected a whole number'],
    [{ pids: '-7' }, 'invalid PIDs limit "-7": expected a positive number, or -1 (or 0) for no limit'],
  ])('rejects %j', (flags, message) => {
    expect(() => limitsFromFlags(flags)).toThrow(InvalidValueError);
    expect(() => limitsFromFlags(flags)).toThrow(message);
  });
});
