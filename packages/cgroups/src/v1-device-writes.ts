import { type DeviceRule, formatDeviceRule } from '@koker/core';

/** One write into a v1 devices cgroup. */
export interface V1DeviceWrite {
  readonly file: 'devices.allow' | 'devices.deny';
  readonly value: string;
}

/**
 * A device policy as v1 devices cgroup writes, in order: a new cgroup starts with its parent's
 * rules (the root's `a *:* rwm`); `devices.deny a` clears them and makes deny the default, each
 * allow after it adds an exception.
 */
export function v1DeviceWrites(rules: readonly DeviceRule[]): V1DeviceWrite[] {
  return rules.map((rule) => ({
    file: rule.allow ? 'devices.allow' : 'devices.deny',
    value: formatDeviceRule(rule),
  }));
}
