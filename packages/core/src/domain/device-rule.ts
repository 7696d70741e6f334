import { InvalidValueError } from '../errors/index.js';

/**
 * One rule of a container's device policy, with the devices cgroup's meaning: which nodes
 * (`a` all, `b` block, `c` char; a major or minor left out is `*`) and which access (`r`ead,
 * `w`rite, `m`knod) it allows or denies. A policy is a list read in order, the last matching
 * rule deciding; it starts with an `a` rule that sets what nothing else matches gets.
 */
export interface DeviceRule {
  readonly allow: boolean;
  readonly type: 'a' | 'b' | 'c';
  readonly major?: number;
  readonly minor?: number;
  /** A non-empty subset of `rwm`. */
  readonly access: string;
}

/** The rule as the v1 devices cgroup reads it in `devices.allow`/`devices.deny`: `c 1:3 rwm`, `a`. */
export function formatDeviceRule(rule: DeviceRule): string {
  if (rule.type === 'a') return 'a';
  return `${rule.type} ${rule.major ?? '*'}:${rule.minor ?? '*'} ${rule.access}`;
}

/** One access to a device node, as the kernel checks it. */
export interface DeviceAccess {
  readonly type: 'b' | 'c';
  readonly major: number;
  readonly minor: number;
  /** What is asked: one or more of `rwm`. */
  readonly access: string;
}

function matches(rule: DeviceRule, request: DeviceAccess): boolean {
  if (rule.type !== 'a' && rule.type !== request.type) return false;
  if (rule.type !== 'a' && rule.major !== undefined && rule.major !== request.major) return false;
  if (rule.type !== 'a' && rule.minor !== undefined && rule.minor !== request.minor) return false;
  return true;
}

/**
 * Whether a policy lets an access through: the last rule that matches decides. An allow rule
 * matches only when it grants everything asked; a deny rule when it covers any of it.
 */
export function deviceAccessAllowed(rules: readonly DeviceRule[], request: DeviceAccess): boolean {
  const asked = [...request.access];
  for (let i = rules.length - 1; i >= 0; i -= 1) {
    const rule = rules[i]!;
    if (!matches(rule, request)) continue;
    if (rule.allow && asked.every((a) => rule.access.includes(a))) return true;
    if (!rule.allow && asked.some((a) => rule.access.includes(a))) return false;
  }
  return false;
}

const RULE = /^([abc]) (\d+|\*):(\d+|\*) ([rwm]{1,3})$/;

/**
 * `--device-cgroup-rule`: Docker's `TYPE MAJOR:MINOR ACCESS` (`c 42:* rmw`, `b 8:0 r`,
 * `a *:* rwm`), an extra allow rule on top of the default policy.
 */
export function parseDeviceCgroupRule(text: string): DeviceRule {
  const match = RULE.exec(text.trim().replace(/\s+/g, ' '));
  const access = match?.[4] ?? '';
  if (!match || new Set(access).size !== access.length) {
    throw new InvalidValueError(
      'device cgroup rule',
      text,
      'expected TYPE MAJOR:MINOR ACCESS: type a, b or c; major and minor a number or *; access of r, w, m',
    );
  }
  const type = match[1] as DeviceRule['type'];
  const number = (value: string) => (value === '*' ? undefined : Number(value));
  const [major, minor] = [number(match[2]!), number(match[3]!)];
  return {
    allow: true,
    type,
    ...(type !== 'a' && major !== undefined ? { major } : {}),
    ...(type !== 'a' && minor !== undefined ? { minor } : {}),
    access: [...'rwm'].filter((a) => access.includes(a)).join(''),
  };
}
