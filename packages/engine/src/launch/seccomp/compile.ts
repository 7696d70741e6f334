import { InvalidValueError } from '@koker/core';
import { BPF, BPF_MAX_INSTRUCTIONS, type BpfInstruction, SECCOMP_DATA, SECCOMP_RET } from './bpf.js';
import type { ArgumentCondition, SeccompAction, SeccompProfile, SeccompRule } from './profile.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** Syscall numbers with this bit set are the x32 ABI's: not x86_64's, so never allowed by name. */
const X32_SYSCALL_BIT = 0x40000000;

type Target = number | string; // a relative jump, or a label
type Item = { readonly label: string } | { code: number; jt: Target; jf: Target; k: number };

export function actionValue(action: SeccompAction): number {
  if (action.kind === 'allow') return SECCOMP_RET.ALLOW;
  if (action.kind === 'kill') return SECCOMP_RET.KILL_PROCESS;
  return (SECCOMP_RET.ERRNO | (action.errno & 0xffff)) >>> 0;
}

/** Whether a rule applies to a container with these capabilities (names without CAP_). */
function applies(rule: SeccompRule, caps: ReadonlySet<string>): boolean {
  return (
    (rule.includesCaps ?? []).every((c) => caps.has(c)) && !(rule.excludesCaps ?? []).some((c) => caps.has(c))
  );
}

const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
const lo = (v: bigint) => Number(v & 0xffffffffn);

/** A 64-bit unsigned comparison of one argument; jumps to `fail` when it does not hold. */
function condition(c: ArgumentCondition, fail: string, ok: string): Item[] {
  if (c.index < 0 || c.index > 5)
    throw new InvalidValueError('seccomp argument index', String(c.index), 'use 0 to 5');
  const ld = (half: 'hi' | 'lo'): Item => ({
    code: BPF.LD_W_ABS,
    jt: 0,
    jf: 0,
    k: SECCOMP_DATA.arg(c.index) + (half === 'hi' ? 4 : 0),
  });
  const j = (code: number, k: number, jt: Target, jf: Target): Item => ({ code, k, jt, jf });
  const v = c.value;
  switch (c.op) {
    case 'eq':
      return [ld('hi'), j(BPF.JEQ_K, hi(v), 0, fail), ld('lo'), j(BPF.JEQ_K, lo(v), 0, fail)];
    case 'ne':
      return [ld('hi'), j(BPF.JEQ_K, hi(v), 0, ok), ld('lo'), j(BPF.JEQ_K, lo(v), fail, 0), { label: ok }];
    case 'masked-eq': {
      const m = c.mask ?? 0xffffffffffffffffn;
      const and = (k: number): Item => ({ code: BPF.ALU_AND_K, jt: 0, jf: 0, k });
      return [
        ld('hi'),
        and(hi(m)),
        j(BPF.JEQ_K, hi(v), 0, fail),
        ld('lo'),
        and(lo(m)),
        j(BPF.JEQ_K, lo(v), 0, fail),
      ];
    }
    case 'gt':
    case 'ge':
      return [
        ld('hi'),
        j(BPF.JGT_K, hi(v), ok, 0),
        j(BPF.JEQ_K, hi(v), 0, fail),
        ld('lo'),
        j(c.op === 'gt' ? BPF.JGT_K : BPF.JGE_K, lo(v), 0, fail),
        { label: ok },
      ];
    case 'lt':
    case 'le':
      return [
        ld('hi'),
        j(BPF.JGT_K, hi(v), fail, 0),
        j(BPF.JEQ_K, hi(v), 0, ok),
        ld('lo'),
        j(c.op === 'lt' ? BPF.JGE_K : BPF.JGT_K, lo(v), fail, 0),
        { label: ok },
      ];
  }
}

/** Resolves labels into relative jumps (classic BPF jumps only forward, at most 255 on). */
function assemble(items: readonly Item[]): BpfInstruction[] {
  const at = new Map<string, number>();
  let n = 0;
  for (const item of items) {
    if ('label' in item) at.set(item.label, n);
    else n++;
  }
  const out: BpfInstruction[] = [];
  for (const item of items) {
    if ('label' in item) continue;
    const pos = out.length;
    const rel = (t: Target): number => {
      if (typeof t === 'number') return t;
      const target = at.get(t);
      if (target === undefined) throw new Error(`seccomp compiler: no label ${t}`);
      const jump = target - pos - 1;
      if (jump < 0 || jump > 255) throw new Error(`seccomp compiler: jump of ${jump} to ${t}`);
      return jump;
    };
    out.push({ code: item.code, jt: rel(item.jt), jf: rel(item.jf), k: item.k >>> 0 });
  }
  return out;
}

/**
 * The profile as a filter for a container with these capabilities (names without CAP_): a
 * process of another architecture is killed; then each syscall the profile names is compared
 * in turn (its rules in order, the first whose conditions hold decides); anything else gets the
 * default action. Names the x86_64 table lacks are skipped (Docker's profiles list calls of
 * every architecture).
 */
export function compileSeccomp(profile: SeccompProfile, capabilities: readonly string[]): BpfInstruction[] {
  const caps = new Set(capabilities);
  const byNumber = new Map<number, SeccompRule[]>();
  for (const rule of profile.rules) {
    if (!applies(rule, caps)) continue;
    for (const name of rule.names) {
      const nr = SYSCALLS_X86_64[name];
      if (nr === undefined) continue;
      const rules = byNumber.get(nr) ?? [];
      if (!rules.includes(rule)) rules.push(rule);
      byNumber.set(nr, rules);
    }
  }
  const fallback = actionValue(profile.defaultAction);
  const ret = (k: number): Item => ({ code: BPF.RET_K, jt: 0, jf: 0, k });
  const items: Item[] = [
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.arch },
    { code: BPF.JEQ_K, jt: 1, jf: 0, k: AUDIT_ARCH_X86_64 },
    ret(SECCOMP_RET.KILL_PROCESS),
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.nr },
    { code: BPF.JGE_K, jt: 0, jf: 1, k: X32_SYSCALL_BIT },
    ret(fallback),
  ];
  let label = 0;
  for (const nr of [...byNumber.keys()].sort((a, b) => a - b)) {
    const next = `next${label++}`;
    items.push({ code: BPF.JEQ_K, jt: 0, jf: next, k: nr });
    let decided = false;
    for (const rule of byNumber.get(nr) ?? []) {
      const args = rule.args ?? [];
      if (args.length === 0) {
        items.push(ret(actionValue(rule.action)));
        decided = true;
        break;
      }
      const fail = `fail${label++}`;
      for (const c of args) items.push(...condition(c, fail, `ok${label++}`));
      items.push(ret(actionValue(rule.action)), { label: fail });
    }
    if (!decided) items.push(ret(fallback));
    items.push({ label: next });
  }
  items.push(ret(fallback));
  const program = assemble(items);
  if (program.length > BPF_MAX_INSTRUCTIONS)
    throw new InvalidValueError(
      'seccomp profile',
      `${program.length} instructions`,
      `a filter has at most ${BPF_MAX_INSTRUCTIONS}`,
    );
  return program;
}
