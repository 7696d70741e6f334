import { deviceAccessAllowed, type DeviceAccess } from '@koker/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES } from '../src/launch/launch-plan.js';
import { DEFAULT_DEVICE_RULES, devicePolicy } from '../src/launch/device-policy.js';

const char = (major: number, minor: number, access: string): DeviceAccess => ({
  type: 'c',
  major,
  minor,
  access,
});
const block = (major: number, minor: number, access: string): DeviceAccess => ({
  type: 'b',
  major,
  minor,
  access,
});

describe('devicePolicy', () => {
  const rules = devicePolicy({ privileged: false });

  it('starts by denying everything, as Docker does', () => {
    expect(rules).toBe(DEFAULT_DEVICE_RULES);
    expect(rules[0]).toEqual({ allow: false, type: 'a', access: 'rwm' });
  });

  it('lets the container read and write every node koker-init makes in /dev', () => {
    for (const node of DEFAULT_DEVICES) {
      expect(deviceAccessAllowed(rules, { ...node, type: node.type as 'c', access: 'rw' }), node.path).toBe(
        true,
      );
    }
  });

  it('allows ptmx, pty slaves, console and tun', () => {
    for (const [major, minor] of [
      [5, 2],
      [136, 0],
      [136, 7],
      [5, 1],
      [10, 200],
    ] as const)
      expect(deviceAccessAllowed(rules, char(major, minor, 'rw'))).toBe(true);
  });

  it('denies reading and writing block devices (a host loop device, a disk)', () => {
    expect(deviceAccessAllowed(rules, block(7, 0, 'w'))).toBe(false);
    expect(deviceAccessAllowed(rules, block(7, 0, 'r'))).toBe(false);
    expect(deviceAccessAllowed(rules, block(8, 0, 'rw'))).toBe(false);
  });

  it('denies other character devices (kmsg, mem, a tty of the host)', () => {
    expect(deviceAccessAllowed(rules, char(1, 11, 'w'))).toBe(false);
    expect(deviceAccessAllowed(rules, char(1, 1, 'r'))).toBe(false);
    expect(deviceAccessAllowed(rules, char(4, 1, 'rw'))).toBe(false);
    expect(deviceAccessAllowed(rules, char(10, 237, 'rw'))).toBe(false);
  });

  it('still lets any node be made: images ship them, mknod is a default capability', () => {
    expect(deviceAccessAllowed(rules, block(7, 0, 'm'))).toBe(true);
    expect(deviceAccessAllowed(rules, char(1, 1, 'm'))).toBe(true);
    expect(deviceAccessAllowed(rules, block(7, 0, 'mw'))).toBe(false);
  });

  it('adds --device-cgroup-rule allow rules after the defaults', () => {
    const extra = devicePolicy({
      privileged: false,
      extraRules: [{ allow: true, type: 'b', major: 7, access: 'r' }],
    });
    expect(extra.slice(0, DEFAULT_DEVICE_RULES.length)).toEqual(DEFAULT_DEVICE_RULES);
    expect(deviceAccessAllowed(extra, block(7, 3, 'r'))).toBe(true);
    expect(deviceAccessAllowed(extra, block(7, 3, 'w'))).toBe(false);
  });

  it('allows each --device with its permissions', () => {
    const rules = devicePolicy({
      privileged: false,
      devices: [{ node: { path: '/dev/xvda', type: 'b', major: 7, minor: 3, mode: 0o660 }, access: 'r' }],
    });
    expect(deviceAccessAllowed(rules, block(7, 3, 'r'))).toBe(true);
    expect(deviceAccessAllowed(rules, block(7, 3, 'w'))).toBe(false);
    expect(deviceAccessAllowed(rules, block(7, 4, 'r'))).toBe(false);
  });

  it('gives --privileged every device', () => {
    const all = devicePolicy({ privileged: true });
    expect(deviceAccessAllowed(all, block(7, 0, 'rwm'))).toBe(true);
    expect(deviceAccessAllowed(all, char(1, 1, 'rw'))).toBe(true);
  });
});
