import { describe, expect, it } from 'vitest';
import {
  BPF,
  CLONE_NAMESPACE_FLAGS,
  compileSeccomp,
  DEFAULT_SECCOMP_PROFILE,
  encodeProgram,
  SECCOMP_RET,
  type SeccompProfile,
} from '../src/index.js';
import { DEFAULT_CAPABILITIES } from '../src/launch/capabilities.js';
import { SYSCALLS_X86_64 } from '../src/launch/seccomp/syscalls-x86_64.js';
import { runFilter } from './seccomp-interpreter.js';

const nr = (name: string) => {
  const n = SYSCALLS_X86_64[name];
  if (n === undefined) throw new Error(`no syscall ${name}`);
  return n;
};
const EPERM = (SECCOMP_RET.ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET.ERRNO | 38) >>> 0;
const DOCKER_CAPS = DEFAULT_CAPABILITIES;

describe('the default seccomp profile, compiled', () => {
  const filter = compileSeccomp(DEFAULT_SECCOMP_PROFILE, DOCKER_CAPS);
  const verdict = (name: string, args: bigint[] = []) => runFilter(filter, nr(name), args);

  it('allows what ordinary programs call', () => {
    for (const name of [
      'read',
      'write',
      'openat',
      'execve',
      'mmap',
      'futex',
      'wait4',
      'exit_group',
      'rt_sigaction',
      'setresuid',
      'capset',
      'chroot',
    ])
      expect(verdict(name), name).toBe(SECCOMP_RET.ALLOW);
  });

  it('denies the keyring, perf, io_uring, bpf, userfaultfd, kexec and modules with EPERM', () => {
    for (const name of [
      'keyctl',
      'add_key',
      'request_key',
      'perf_event_open',
      'io_uring_setup',
      'io_uring_enter',
      'bpf',
      'userfaultfd',
      'kexec_load',
      'kexec_file_load',
      'init_module',
      'finit_module',
      'swapon',
      'reboot',
    ])
      expect(verdict(name), name).toBe(EPERM);
  });

  it('allows mount, unshare and setns only with CAP_SYS_ADMIN, kcmp and pidfd_getfd only with CAP_SYS_PTRACE', () => {
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'kcmp', 'pidfd_getfd'])
      expect(verdict(name), name).toBe(EPERM);
    const admin = compileSeccomp(DEFAULT_SECCOMP_PROFILE, [...DOCKER_CAPS, 'SYS_ADMIN', 'SYS_PTRACE']);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'kcmp', 'pidfd_getfd'])
      expect(runFilter(admin, nr(name)), name).toBe(SECCOMP_RET.ALLOW);
  });

  it('allows ptrace and process_vm_readv/writev without CAP_SYS_PTRACE, as Docker does on kernels >= 4.8', () => {
    for (const name of ['ptrace', 'process_vm_readv', 'process_vm_writev'])
      expect(verdict(name), name).toBe(SECCOMP_RET.ALLOW);
  });

  it('allows clone for threads and processes, but not with a namespace flag unless CAP_SYS_ADMIN', () => {
    const CLONE_NEWUSER = 0x10000000n;
    const CLONE_NEWNET = 0x40000000n;
    const thread = 0x3d0f00n; // what pthread_create passes
    expect(verdict('clone', [0x11n /* SIGCHLD */])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict('clone', [thread])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict('clone', [CLONE_NEWUSER | 0x11n])).toBe(EPERM);
    expect(verdict('clone', [CLONE_NEWNET])).toBe(EPERM);
    expect(verdict('clone', [CLONE_NAMESPACE_FLAGS])).toBe(EPERM);
    // clone3 says ENOSYS, so that libc falls back to clone, whose flags the filter can read.
    expect(verdict('clone3')).toBe(ENOSYS);
    const admin = compileSeccomp(DEFAULT_SECCOMP_PROFILE, [...DOCKER_CAPS, 'SYS_ADMIN']);
    expect(runFilter(admin, nr('clone'), [CLONE_NEWUSER])).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(admin, nr('clone3'))).toBe(SECCOMP_RET.ALLOW);
  });

  it('allows personality only with the usual execution domains, and socket but AF_VSOCK', () => {
    expect(verdict('personality', [0n])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict('personality', [0xffffffffn])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict('personality', [0x0040000n /* ADDR_NO_RANDOMIZE */])).toBe(EPERM);
    expect(verdict('socket', [2n /* AF_INET */, 1n])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict('socket', [40n /* AF_VSOCK */, 1n])).toBe(EPERM);
    expect(verdict('socket', [(1n << 32n) | 40n])).toBe(SECCOMP_RET.ALLOW); // all 64 bits compared
  });

  it('kills a process of another architecture, and denies x32 and unknown numbers', () => {
    expect(runFilter(filter, nr('read'), [], 0x40000003 /* AUDIT_ARCH_I386 */)).toBe(
      SECCOMP_RET.KILL_PROCESS,
    );
    expect(runFilter(filter, 0x40000000 + nr('read'))).toBe(EPERM);
    expect(runFilter(filter, 999)).toBe(EPERM);
  });

  it('fits the kernel: at most 4096 instructions, 8 bytes each', () => {
    expect(filter.length).toBeLessThan(4096);
    expect(encodeProgram(filter).length).toBe(filter.length * 8);
    expect(encodeProgram([{ code: BPF.RET_K, jt: 1, jf: 2, k: SECCOMP_RET.ALLOW }]).toString('hex')).toBe(
      '060001020000ff7f',
    );
  });
});

describe('argument comparisons', () => {
  const profile = (
    op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked-eq',
    value: bigint,
    mask?: bigint,
  ): SeccompProfile => ({
    defaultAction: { kind: 'errno', errno: 1 },
    rules: [
      {
        names: ['read'],
        action: { kind: 'allow' },
        args: [{ index: 2, op, value, ...(mask ? { mask } : {}) }],
      },
    ],
  });
  const big = 0x1_0000_0005n;
  const cases: [Parameters<typeof profile>[0], bigint, bigint, boolean][] = [
    ['eq', big, big, true],
    ['eq', big, 5n, false],
    ['ne', big, 5n, true],
    ['ne', big, big, false],
    ['lt', big, 5n, true],
    ['lt', big, big, false],
    ['lt', big, 0x1_0000_0004n, true],
    ['le', big, big, true],
    ['le', big, 0x2_0000_0000n, false],
    ['gt', big, 0x1_0000_0006n, true],
    ['gt', big, big, false],
    ['gt', big, 0xffff_ffffn, false],
    ['ge', big, big, true],
    ['ge', big, 0x2_0000_0000n, true],
    ['ge', big, 6n, false],
  ];
  it.each(cases)('%s %s against %s', (op, value, arg, allowed) => {
    const result = runFilter(compileSeccomp(profile(op, value), []), nr('read'), [0n, 0n, arg]);
    expect(result).toBe(allowed ? SECCOMP_RET.ALLOW : EPERM);
  });
  it('masked-eq compares the masked bits', () => {
    const program = compileSeccomp(profile('masked-eq', 0x10n, 0xf0n), []);
    expect(runFilter(program, nr('read'), [0n, 0n, 0x1fn])).toBe(SECCOMP_RET.ALLOW);
    expect(runFilter(program, nr('read'), [0n, 0n, 0x2fn])).toBe(EPERM);
  });
});
