import { deviceAccessAllowed, type DeviceAccess, type DeviceRule } from '@koker/core';
import { describe, expect, it } from 'vitest';
import { DEVCG_ACC, DEVCG_DEV, deviceFilterProgram } from '../src/device-filter.js';
import { v1DeviceWrites } from '../src/v1-device-writes.js';

/**
 * Runs a device program as the kernel would, for the few instructions it uses: checks that
 * every jump lands inside it, that every path ends in exit with r0 set, and returns r0.
 */
function runProgram(program: Buffer, request: DeviceAccess): number {
  const ctx = [
    ([...request.access].reduce((bits, a) => bits | DEVCG_ACC[a as 'r'], 0) << 16) | DEVCG_DEV[request.type],
    request.major,
    request.minor,
  ];
  const regs: (number | undefined)[] = new Array(11).fill(undefined);
  regs[1] = -1; // the context pointer
  const count = program.length / 8;
  for (let pc = 0, steps = 0; steps < 10_000; steps += 1) {
    if (pc < 0 || pc >= count) throw new Error(`pc ${pc} outside the program`);
    const at = pc * 8;
    const code = program.readUInt8(at);
    const dst = program.readUInt8(at + 1) & 0x0f;
    const src = program.readUInt8(at + 1) >> 4;
    const off = program.readInt16LE(at + 2);
    const imm = program.readInt32LE(at + 4);
    const get = (r: number) => {
      const v = regs[r];
      if (v === undefined) throw new Error(`r${r} read before written at ${pc}`);
      return v;
    };
    pc += 1;
    switch (code) {
      case 0x61:
        if (get(src) !== -1 || off % 4 !== 0 || off > 8) throw new Error(`bad context load at ${pc - 1}`);
        regs[dst] = ctx[off / 4]!;
        break;
      case 0x54:
        regs[dst] = (get(dst) & imm) >>> 0;
        break;
      case 0x74:
        regs[dst] = get(dst) >>> imm;
        break;
      case 0xb4:
        regs[dst] = imm >>> 0;
        break;
      case 0xbc:
        regs[dst] = get(src) >>> 0;
        break;
      case 0x15:
        if (get(dst) === imm >>> 0) pc += off;
        break;
      case 0x55:
        if (get(dst) !== imm >>> 0) pc += off;
        break;
      case 0x95:
        return get(0);
      default:
        throw new Error(`unexpected opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error('the program does not end');
}

const DOCKER_LIKE: DeviceRule[] = [
  { allow: false, type: 'a', access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rw' },
];

function requests(): DeviceAccess[] {
  const all: DeviceAccess[] = [];
  for (const type of ['b', 'c'] as const)
    for (const [major, minor] of [
      [1, 3],
      [1, 4],
      [7, 0],
      [136, 0],
      [136, 9],
      [5, 2],
      [5, 0],
    ] as const)
      for (const access of ['r', 'w', 'm', 'rw', 'rwm', 'wm']) all.push({ type, major, minor, access });
  return all;
}

describe('deviceFilterProgram', () => {
  it('decides every access as the policy does', () => {
    for (const rules of [
      DOCKER_LIKE,
      [{ allow: true, type: 'a', access: 'rwm' }] as DeviceRule[],
      [
        { allow: true, type: 'a', access: 'rwm' },
        { allow: false, type: 'b', major: 7, access: 'w' },
      ] as DeviceRule[],
      [] as DeviceRule[],
    ]) {
      const program = deviceFilterProgram(rules);
      for (const request of requests()) {
        expect(runProgram(program, request), JSON.stringify({ rules, request })).toBe(
          deviceAccessAllowed(rules, request) ? 1 : 0,
        );
      }
    }
  });

  it('denies a write to a host loop device under the default-like policy and allows /dev/null', () => {
    const program = deviceFilterProgram(DOCKER_LIKE);
    expect(runProgram(program, { type: 'b', major: 7, minor: 0, access: 'w' })).toBe(0);
    expect(runProgram(program, { type: 'b', major: 7, minor: 0, access: 'm' })).toBe(1);
    expect(runProgram(program, { type: 'c', major: 1, minor: 3, access: 'rw' })).toBe(1);
  });

  it('encodes the instructions the kernel expects', () => {
    const program = deviceFilterProgram([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]);
    const insns = Array.from({ length: program.length / 8 }, (_, i) =>
      program.subarray(i * 8, i * 8 + 8).toString('hex'),
    );
    expect(insns).toEqual([
      '6112000000000000', // r2 = *(u32 *)(r1 + 0): access_type
      '54020000ffff0000', // w2 &= 0xffff: device type
      '6113000000000000', // r3 = *(u32 *)(r1 + 0)
      '7403000010000000', // w3 >>= 16: access
      '6114040000000000', // r4 = major
      '6115080000000000', // r5 = minor
      '5502070002000000', // if r2 != char goto next rule
      '5504060001000000', // if r4 != 1 goto next rule
      '5505050003000000', // if r5 != 3 goto next rule
      'bc31000000000000', // w1 = w3
      '54010000f9ff0000', // w1 &= ~(read | write)
      '5501020000000000', // if r1 != 0 goto next rule
      'b400000001000000', // w0 = 1 (allow)
      '9500000000000000', // exit
      'b400000000000000', // w0 = 0 (deny)
      '9500000000000000', // exit
    ]);
  });
});

describe('v1DeviceWrites', () => {
  it('denies everything first, then adds each exception, in the devices cgroup format', () => {
    expect(v1DeviceWrites(DOCKER_LIKE)).toEqual([
      { file: 'devices.deny', value: 'a' },
      { file: 'devices.allow', value: 'c *:* m' },
      { file: 'devices.allow', value: 'b *:* m' },
      { file: 'devices.allow', value: 'c 1:3 rwm' },
      { file: 'devices.allow', value: 'c 136:* rwm' },
      { file: 'devices.allow', value: 'c 5:2 rw' },
    ]);
  });

  it('gives --privileged everything', () => {
    expect(v1DeviceWrites([{ allow: true, type: 'a', access: 'rwm' }])).toEqual([
      { file: 'devices.allow', value: 'a' },
    ]);
  });
});
