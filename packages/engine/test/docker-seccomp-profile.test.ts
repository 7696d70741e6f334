import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { compileSeccomp, parseDockerSeccompProfile, SECCOMP_RET } from '../src/index.js';
import { runFilter } from './seccomp-interpreter.js';
import { SYSCALLS_X86_64 } from '../src/launch/seccomp/syscalls-x86_64.js';

const profile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
  syscalls: [
    { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['s390_pci_mmio_read'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390x'] } },
    { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
  ],
};
const nr = (name: string) => SYSCALLS_X86_64[name] ?? -1;

describe("a seccomp profile in Docker's format", () => {
  it('compiles with its actions, capability and architecture conditions, and masked arguments', () => {
    const parsed = parseDockerSeccompProfile(JSON.stringify(profile), '6.1.0-13-amd64');
    const filter = compileSeccomp(parsed, ['CHOWN']);
    expect(runFilter(filter, nr('read'))).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(filter, nr('ptrace'))).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(filter, nr('arch_prctl'))).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(filter, nr('mount'))).toBe((SECCOMP_RET.ERRNO | 1) >>> 0);
    expect(runFilter(filter, nr('clone3'))).toBe((SECCOMP_RET.ERRNO | 38) >>> 0);
    expect(runFilter(filter, nr('clone'), [0x11n])).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(filter, nr('clone'), [0x10000000n])).toBe((SECCOMP_RET.ERRNO | 1) >>> 0);
    const admin = compileSeccomp(parsed, ['SYS_ADMIN']);
    expect(runFilter(admin, nr('mount'))).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(admin, nr('clone3'))).toBe((SECCOMP_RET.ERRNO | 1) >>> 0);
    // minKernel above the host's: the rule does not apply.
    const old = compileSeccomp(parseDockerSeccompProfile(JSON.stringify(profile), '4.4.0'), []);
    expect(runFilter(old, nr('ptrace'))).toBe((SECCOMP_RET.ERRNO | 1) >>> 0);
  });

  it('refuses what koker does not support, by name', () => {
    const parse = (p: unknown) => () => parseDockerSeccompProfile(JSON.stringify(p), '6.1');
    expect(parse({ ...profile, defaultAction: 'SCMP_ACT_TRACE' })).toThrow(InvalidValueError);
    expect(parse({ ...profile, defaultAction: 'SCMP_ACT_TRACE' })).toThrow('SCMP_ACT_TRACE');
    expect(parse({ ...profile, flags: ['SECCOMP_FILTER_FLAG_LOG'] })).toThrow('flags');
    expect(parse({ ...profile, archMap: undefined, architectures: ['SCMP_ARCH_AARCH64'] })).toThrow('x86_64');
    expect(parse({ ...profile, syscalls: [{ names: ['read'], action: 'SCMP_ACT_LOG' }] })).toThrow(
      'SCMP_ACT_LOG',
    );
    expect(
      parse({
        ...profile,
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' }] },
        ],
      }),
    ).toThrow('SCMP_CMP_XX');
    expect(
      parse({ ...profile, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', listenerPath: '/x' }] }),
    ).toThrow('listenerPath');
    expect(() => parseDockerSeccompProfile('{', '6.1')).toThrow(InvalidValueError);
  });
});
