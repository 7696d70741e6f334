import { describe, expect, it } from 'vitest';
import {
  InvalidValueError,
  formatByteSize,
  formatDecimalSize,
  parseByteSize,
  parseCpus,
} from '../src/index.js';

describe('parseByteSize', () => {
  it.each([
    ['100000', 100000],
    ['512m', 512 * 1024 ** 2],
    ['512M', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['1.5 GB', 1.5 * 1024 ** 3],
    ['64k', 65536],
    ['64KiB', 65536],
    ['10b', 10],
    ['2t', 2 * 1024 ** 4],
  ])('%s is %d bytes', (input, expected) => {
    expect(parseByteSize(input)).toBe(expected);
  });

  it("reads a bare number in the caller's default unit (the Go koker's --mem is MiB)", () => {
    expect(parseByteSize('10', { defaultUnit: 'm' })).toBe(10 * 1024 ** 2);
    expect(parseByteSize('10b', { defaultUnit: 'm' })).toBe(10);
    expect(parseByteSize('1g', { defaultUnit: 'm' })).toBe(1024 ** 3);
  });

  it.each(['', 'm', '-1', '1x', '1.2.3g', '1 g b', '1i', 'ten', '1e3'])('rejects %j', (input) => {
    expect(() => parseByteSize(input)).toThrow(InvalidValueError);
  });

  it('formats for humans', () => {
    expect(formatByteSize(10 * 1024 ** 2)).toBe('10 MiB');
    expect(formatByteSize(1536)).toBe('1.5 KiB');
    expect(formatDecimalSize(4_860_000)).toBe('4.86MB');
    expect(formatDecimalSize(999)).toBe('999B');
  });
});

describe('parseCpus', () => {
  it.each([
    ['1.5', 1_500_000_000],
    ['0.5', 500_000_000],
    ['2', 2_000_000_000],
    ['0', 0],
    ['0.000000001', 1],
  ])('%s is %d nano-CPUs', (input, expected) => {
    expect(parseCpus(input)).toBe(expected);
  });

  it.each(['-1', 'one', '1.0000000001', '', '1,5'])('rejects %j', (input) => {
    expect(() => parseCpus(input)).toThrow(InvalidValueError);
  });
});
