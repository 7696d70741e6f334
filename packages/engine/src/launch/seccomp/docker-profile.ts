import { InvalidValueError } from '@koker/core';
import type { ArgumentCondition, ArgumentOp, SeccompAction, SeccompProfile, SeccompRule } from './profile.js';

/**
 * A seccomp profile in Docker's JSON format (`--security-opt seccomp=profile.json`), the subset
 * koker compiles: defaultAction (+ defaultErrnoRet), architectures or archMap naming x86_64,
 * syscalls[] with names, action (+ errnoRet), args, includes/excludes of caps, arches and
 * minKernel. Anything else is refused by name rather than ignored.
 */
const ACTIONS: Record<string, (errno?: number) => SeccompAction> = {
  SCMP_ACT_ALLOW: () => ({ kind: 'allow' }),
  SCMP_ACT_ERRNO: (errno) => ({ kind: 'errno', errno: errno ?? 1 }),
  SCMP_ACT_KILL: () => ({ kind: 'kill' }),
  SCMP_ACT_KILL_PROCESS: () => ({ kind: 'kill' }),
  SCMP_ACT_KILL_THREAD: () => ({ kind: 'kill' }),
};
const OPS: Record<string, ArgumentOp> = {
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_MASKED_EQ: 'masked-eq',
};
/** Docker's names of this architecture (includes.arches) and libseccomp's (architectures). */
const OUR_ARCHES = ['amd64', 'x86_64', 'SCMP_ARCH_X86_64'];

type Json = Record<string, unknown>;

function refuse(what: string, reason: string): never {
  throw new InvalidValueError('seccomp profile', what, reason);
}

function only(object: Json, where: string, known: readonly string[]): void {
  for (const key of Object.keys(object))
    if (!known.includes(key)) refuse(`${where}.${key}`, `koker does not support ${key} in a seccomp profile`);
}

function action(name: unknown, errno: unknown, where: string): SeccompAction {
  const make = typeof name === 'string' ? ACTIONS[name] : undefined;
  if (!make) refuse(`${where} ${String(name)}`, `koker supports ${Object.keys(ACTIONS).join(', ')}`);
  if (errno !== undefined && typeof errno !== 'number') refuse(`${where} errnoRet`, 'not a number');
  return make(errno as number | undefined);
}

function kernelAtLeast(min: string, release: string): boolean {
  const parts = (v: string) => v.split(/[.-]/).slice(0, 2).map(Number);
  const [a = 0, b = 0] = parts(release);
  const [c = 0, d = 0] = parts(min);
  return a > c || (a === c && b >= d);
}

function argument(raw: Json, where: string): ArgumentCondition {
  only(raw, where, ['index', 'value', 'valueTwo', 'op']);
  const op = typeof raw.op === 'string' ? OPS[raw.op] : undefined;
  if (!op) refuse(`${where}.op ${String(raw.op)}`, `koker supports ${Object.keys(OPS).join(', ')}`);
  if (typeof raw.index !== 'number' || raw.index < 0 || raw.index > 5) refuse(`${where}.index`, 'use 0 to 5');
  const big = (v: unknown) => BigInt.asUintN(64, BigInt(typeof v === 'number' ? v : 0));
  // Docker's MASKED_EQ: value is the mask, valueTwo what the masked argument must equal.
  if (op === 'masked-eq') return { index: raw.index, op, mask: big(raw.value), value: big(raw.valueTwo) };
  return { index: raw.index, op, value: big(raw.value) };
}

/** Parses Docker's JSON into koker's profile; `kernel` is the host's release (for minKernel). */
export function parseDockerSeccompProfile(text: string, kernel: string): SeccompProfile {
  let raw: Json;
  try {
    raw = JSON.parse(text) as Json;
  } catch (error) {
    refuse('JSON', (error as Error).message);
  }
  if (typeof raw !== 'object' || raw === null) refuse('JSON', 'not an object');
  only(raw, 'profile', ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls']);
  const arches = [
    ...((raw.architectures as string[] | undefined) ?? []),
    ...((raw.archMap as { architecture: string }[] | undefined) ?? []).map((a) => a.architecture),
  ];
  if (arches.length > 0 && !arches.some((a) => OUR_ARCHES.includes(a)))
    refuse(`architectures ${arches.join(',')}`, 'the profile has no rules for x86_64 (SCMP_ARCH_X86_64)');
  const rules: SeccompRule[] = [];
  ((raw.syscalls as Json[] | undefined) ?? []).forEach((s, i) => {
    const where = `syscalls[${i}]`;
    only(s, where, ['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment']);
    const includes = (s.includes ?? {}) as Json;
    const excludes = (s.excludes ?? {}) as Json;
    only(includes, `${where}.includes`, ['caps', 'arches', 'minKernel']);
    only(excludes, `${where}.excludes`, ['caps', 'arches']);
    const inArches = includes.arches as string[] | undefined;
    if (inArches && !inArches.some((a) => OUR_ARCHES.includes(a))) return;
    if (((excludes.arches as string[] | undefined) ?? []).some((a) => OUR_ARCHES.includes(a))) return;
    if (typeof includes.minKernel === 'string' && !kernelAtLeast(includes.minKernel, kernel)) return;
    const names = [
      ...((s.names as string[] | undefined) ?? []),
      ...(typeof s.name === 'string' ? [s.name] : []),
    ];
    const strip = (caps: unknown) =>
      ((caps as string[] | undefined) ?? []).map((c) => c.replace(/^CAP_/, ''));
    rules.push({
      names,
      action: action(s.action, s.errnoRet, `${where}.action`),
      args: ((s.args as Json[] | null | undefined) ?? []).map((a, j) => argument(a, `${where}.args[${j}]`)),
      includesCaps: strip(includes.caps),
      excludesCaps: strip(excludes.caps),
    });
  });
  return { defaultAction: action(raw.defaultAction, raw.defaultErrnoRet, 'defaultAction'), rules };
}
