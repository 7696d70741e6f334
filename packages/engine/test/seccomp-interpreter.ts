import { AUDIT_ARCH_X86_64, BPF, type BpfInstruction } from '../src/index.js';

/** A classic BPF interpreter of the instructions the compiler emits, over struct seccomp_data. */
export function runFilter(
  program: readonly BpfInstruction[],
  nr: number,
  args: bigint[] = [],
  arch = AUDIT_ARCH_X86_64,
) {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc]!;
    switch (code) {
      case BPF.LD_W_ABS:
        acc = data.readUInt32LE(k);
        break;
      case BPF.ALU_AND_K:
        acc = (acc & k) >>> 0;
        break;
      case BPF.JEQ_K:
        pc += acc === k ? jt : jf;
        break;
      case BPF.JGT_K:
        pc += acc > k ? jt : jf;
        break;
      case BPF.JGE_K:
        pc += acc >= k ? jt : jf;
        break;
      case BPF.RET_K:
        return k;
      default:
        throw new Error(`unknown instruction ${code}`);
    }
  }
  throw new Error('the filter ran off its end');
}
