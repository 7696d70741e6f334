import { closeSync, constants, openSync } from 'node:fs';
import { HostError, SyscallError } from '@koker/core';
import { loadLibc } from '@koker/host';

/** Attaches a device program to a cgroup2 cgroup; tests record instead. */
export interface DeviceProgramAttacher {
  attach(cgroupDir: string, program: Buffer): void;
}

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
/** Lets systemd's program on an ancestor and ours both run (all must allow). */
const BPF_F_ALLOW_MULTI = 2;
const SYS_BPF: Partial<Record<NodeJS.Architecture, number>> = { x64: 321, arm64: 280 };
// Large enough for the fields set; the kernel wants whatever it does not know to be zero.
const ATTR_SIZE = 128;
const LOG_SIZE = 65_536;

type Bpf = (command: number, attr: Buffer) => number;

let bpf: { call: Bpf; address: (buffer: Buffer) => bigint; errno: () => number } | undefined;

function bind(): NonNullable<typeof bpf> {
  if (bpf) return bpf;
  const number = SYS_BPF[process.arch];
  if (number === undefined) throw new HostError(`koker does not know bpf(2)'s number on ${process.arch}`);
  const { lib, errno, address } = loadLibc();
  const syscall = lib.func('long syscall(long number, ...)');
  bpf = {
    call: (command, attr) =>
      Number(syscall(number, 'int', command, 'uint64', address(attr), 'uint32', attr.length)),
    address,
    errno,
  };
  return bpf;
}

function loadProgram(program: Buffer, log?: Buffer): number {
  const c = bind();
  const license = Buffer.from('MIT\0');
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
  attr.writeUInt32LE(program.length / 8, 4);
  attr.writeBigUInt64LE(c.address(program), 8);
  attr.writeBigUInt64LE(c.address(license), 16);
  if (log) {
    attr.writeUInt32LE(1, 24);
    attr.writeUInt32LE(log.length, 28);
    attr.writeBigUInt64LE(c.address(log), 32);
  }
  Buffer.from('koker_devices').copy(attr, 48);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 68);
  const fd = c.call(BPF_PROG_LOAD, attr);
  // Keep the buffers alive until the call returned: the kernel read them through the pointers.
  void license;
  return fd < 0 ? -c.errno() : fd;
}

/** bpf(2) through koffi: BPF_PROG_LOAD, then BPF_PROG_ATTACH to the cgroup's directory. */
export const bpfDeviceAttacher: DeviceProgramAttacher = {
  attach(cgroupDir, program) {
    let prog = loadProgram(program);
    if (prog < 0) {
      // Load again with the verifier's log, to say why.
      const log = Buffer.alloc(LOG_SIZE);
      const errno = -prog;
      prog = loadProgram(program, log);
      if (prog < 0) {
        const text = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim();
        const cause = new SyscallError('bpf', errno, 'BPF_PROG_LOAD');
        throw new HostError(`cannot load the device filter: ${cause.message}${text ? `\n${text}` : ''}`, {
          cause,
          hint: 'device control on cgroup2 needs a kernel with CONFIG_BPF_SYSCALL and CONFIG_CGROUP_BPF',
        });
      }
    }
    let dir = -1;
    try {
      dir = openSync(cgroupDir, constants.O_RDONLY | constants.O_DIRECTORY);
      const c = bind();
      const attr = Buffer.alloc(ATTR_SIZE);
      attr.writeUInt32LE(dir, 0);
      attr.writeUInt32LE(prog, 4);
      attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
      attr.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
      if (c.call(BPF_PROG_ATTACH, attr) < 0)
        throw new SyscallError('bpf', c.errno(), `BPF_PROG_ATTACH device filter to ${cgroupDir}`);
    } finally {
      if (dir >= 0) closeSync(dir);
      // The attachment holds the program; it goes with the cgroup.
      closeSync(prog);
    }
  },
};
