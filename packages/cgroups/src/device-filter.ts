import { type DeviceRule } from '@koker/core';

/**
 * A container's device policy as a `BPF_PROG_TYPE_CGROUP_DEVICE` program: cgroup2 has no
 * devices controller, the kernel runs such a program on every device access of a process in
 * the cgroup instead (return 1 allows, 0 denies). Its context is `struct bpf_cgroup_dev_ctx`:
 * `access_type` (access bits << 16 | device type), `major`, `minor`, all u32.
 */

// Instruction classes, operations and sources of the eBPF instruction set.
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU32_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const ALU32_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JMP_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

/** `BPF_DEVCG_DEV_*`: the device type in the low half of `access_type`. */
export const DEVCG_DEV = { b: 1, c: 2 } as const;
/** `BPF_DEVCG_ACC_*`: the access in the high half of `access_type`. */
export const DEVCG_ACC = { m: 1, r: 2, w: 4 } as const;

/** One eBPF instruction before encoding; `next` jumps to the next rule's first instruction. */
interface Insn {
  readonly code: number;
  readonly dst: number;
  readonly src?: number;
  readonly off?: number | 'next';
  readonly imm?: number;
}

function accessBits(access: string): number {
  let bits = 0;
  for (const a of access) bits |= DEVCG_ACC[a as keyof typeof DEVCG_ACC] ?? 0;
  return bits;
}

/** The instructions of one rule: fall through to the next rule unless it matches. */
function ruleInsns(rule: DeviceRule): Insn[] {
  const insns: Insn[] = [];
  if (rule.type !== 'a') {
    insns.push({ code: JMP_JNE_K, dst: 2, imm: DEVCG_DEV[rule.type], off: 'next' });
    if (rule.major !== undefined) insns.push({ code: JMP_JNE_K, dst: 4, imm: rule.major, off: 'next' });
    if (rule.minor !== undefined) insns.push({ code: JMP_JNE_K, dst: 5, imm: rule.minor, off: 'next' });
  }
  const bits = accessBits(rule.access);
  insns.push({ code: ALU32_MOV_X, dst: 1, src: 3 });
  if (rule.allow) {
    // Allows only when it grants everything asked: nothing asked outside its bits.
    insns.push({ code: ALU32_AND_K, dst: 1, imm: ~bits & 0xffff });
    insns.push({ code: JMP_JNE_K, dst: 1, imm: 0, off: 'next' });
  } else {
    // Denies when it covers anything asked.
    insns.push({ code: ALU32_AND_K, dst: 1, imm: bits });
    insns.push({ code: JMP_JEQ_K, dst: 1, imm: 0, off: 'next' });
  }
  insns.push({ code: ALU32_MOV_K, dst: 0, imm: rule.allow ? 1 : 0 });
  insns.push({ code: JMP_EXIT, dst: 0 });
  return insns;
}

/**
 * The program for a policy. Rules are tried from the last to the first, the first match
 * returning its verdict, so the last matching rule decides, as in the v1 devices cgroup and
 * `deviceAccessAllowed`; what no rule matches is denied.
 */
export function deviceFilterProgram(rules: readonly DeviceRule[]): Buffer {
  const insns: Insn[] = [
    { code: LDX_MEM_W, dst: 2, src: 1, off: 0 }, // r2 = ctx->access_type
    { code: ALU32_AND_K, dst: 2, imm: 0xffff }, // r2 = device type
    { code: LDX_MEM_W, dst: 3, src: 1, off: 0 },
    { code: ALU32_RSH_K, dst: 3, imm: 16 }, // r3 = access asked
    { code: LDX_MEM_W, dst: 4, src: 1, off: 4 }, // r4 = major
    { code: LDX_MEM_W, dst: 5, src: 1, off: 8 }, // r5 = minor
  ];
  const resolved: Insn[] = [...insns];
  for (const rule of [...rules].reverse()) {
    const block = ruleInsns(rule);
    const start = resolved.length;
    const next = start + block.length;
    block.forEach((insn, i) => {
      resolved.push(insn.off === 'next' ? { ...insn, off: next - (start + i + 1) } : insn);
    });
  }
  resolved.push({ code: ALU32_MOV_K, dst: 0, imm: 0 }, { code: JMP_EXIT, dst: 0 });
  return encode(resolved);
}

function encode(insns: readonly Insn[]): Buffer {
  const bytes = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, i) => {
    const at = i * 8;
    bytes.writeUInt8(insn.code, at);
    bytes.writeUInt8(((insn.src ?? 0) << 4) | insn.dst, at + 1);
    bytes.writeInt16LE(insn.off === 'next' ? 0 : (insn.off ?? 0), at + 2);
    bytes.writeInt32LE(insn.imm ?? 0, at + 4);
  });
  return bytes;
}
