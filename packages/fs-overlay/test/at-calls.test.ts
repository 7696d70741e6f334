import { describe, expect, it } from 'vitest';
import { makedev, timespecs } from '../src/kernel/at-calls.js';

describe('system call argument encoding', () => {
  it('writes struct timespec pairs for any second, before 1970 included', () => {
    for (const sec of [0, 1, 1_600_000_000, 2 ** 33 + 5, -1, -(2 ** 33) - 7]) {
      const buffer = timespecs({ sec, nsec: 5 }, { sec: sec + 1, nsec: 999_999_999 });
      expect(buffer.readBigInt64LE(0)).toBe(BigInt(sec));
      expect(buffer.readBigInt64LE(8)).toBe(5n);
      expect(buffer.readBigInt64LE(16)).toBe(BigInt(sec + 1));
      expect(buffer.readBigInt64LE(24)).toBe(999_999_999n);
    }
  });

  it('builds device numbers as glibc makedev does', () => {
    expect(makedev(1, 3)).toBe(0x103n);
    expect(makedev(8, 0)).toBe(0x800n);
    expect(makedev(259, 65536)).toBe(0x10010300n);
  });
});
