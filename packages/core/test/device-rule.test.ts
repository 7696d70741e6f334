import { describe, expect, it } from 'vitest';
import {
  InvalidValueError,
  deviceAccessAllowed,
  formatDeviceRule,
  parseDeviceCgroupRule,
} from '../src/index.js';

describe('parseDeviceCgroupRule', () => {
  it("reads Docker's TYPE MAJOR:MINOR ACCESS, wildcards left out", () => {
    expect(parseDeviceCgroupRule('c 42:* rmw')).toEqual({ allow: true, type: 'c', major: 42, access: 'rwm' });
    expect(parseDeviceCgroupRule('b 8:0 r')).toEqual({
      allow: true,
      type: 'b',
      major: 8,
      minor: 0,
      access: 'r',
    });
    expect(parseDeviceCgroupRule('a *:* rwm')).toEqual({ allow: true, type: 'a', access: 'rwm' });
  });

  it('writes back the devices cgroup format', () => {
    expect(formatDeviceRule(parseDeviceCgroupRule('c 42:* mw'))).toBe('c 42:* wm');
    expect(formatDeviceRule(parseDeviceCgroupRule('c *:3 r'))).toBe('c *:3 r');
    expect(formatDeviceRule(parseDeviceCgroupRule('a *:* rwm'))).toBe('a');
  });

  it('refuses what the kernel would not take', () => {
    for (const bad of ['c 42 rwm', 'x 1:3 rwm', 'c 1:3', 'c 1:3 rwx', 'c 1:3 rr', 'c -1:3 r', ''])
      expect(() => parseDeviceCgroupRule(bad), bad).toThrow(InvalidValueError);
  });
});

describe('deviceAccessAllowed', () => {
  const rules = [
    { allow: false, type: 'a' as const, access: 'rwm' },
    { allow: true, type: 'c' as const, major: 1, minor: 3, access: 'rw' },
  ];

  it('allows an access only when a rule grants all of it', () => {
    expect(deviceAccessAllowed(rules, { type: 'c', major: 1, minor: 3, access: 'rw' })).toBe(true);
    expect(deviceAccessAllowed(rules, { type: 'c', major: 1, minor: 3, access: 'rwm' })).toBe(false);
    expect(deviceAccessAllowed(rules, { type: 'b', major: 1, minor: 3, access: 'r' })).toBe(false);
  });

  it('lets the last matching rule decide', () => {
    const later = [...rules, { allow: false, type: 'c' as const, major: 1, access: 'w' }];
    expect(deviceAccessAllowed(later, { type: 'c', major: 1, minor: 3, access: 'r' })).toBe(true);
    expect(deviceAccessAllowed(later, { type: 'c', major: 1, minor: 3, access: 'w' })).toBe(false);
  });
});
