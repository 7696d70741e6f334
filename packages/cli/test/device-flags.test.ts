import { type Stats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '@koker/core';
import { parseDeviceFlag } from '../src/run/device-flags.js';

const node = (type: 'b' | 'c' | 'f', major: number, minor: number, mode = 0o660) =>
  ({
    isBlockDevice: () => type === 'b',
    isCharacterDevice: () => type === 'c',
    // glibc's makedev
    rdev: (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12),
    mode: mode | (type === 'b' ? 0o60000 : 0o20000),
  }) as unknown as Stats;

const host: Record<string, Stats> = {
  '/dev/loop3': node('b', 7, 3),
  '/dev/net/tun': node('c', 10, 200, 0o666),
  '/dev/big': node('c', 259, 300),
  '/etc/passwd': node('f', 0, 0),
};
const stat = (path: string): Stats => {
  const found = host[path];
  if (!found) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return found;
};

describe('parseDeviceFlag', () => {
  it('takes the host path for the container, rwm by default', () => {
    expect(parseDeviceFlag('/dev/loop3', stat)).toEqual({
      node: { path: '/dev/loop3', type: 'b', major: 7, minor: 3, mode: 0o660 },
      access: 'rwm',
    });
  });

  it('reads HOST:CONTAINER, HOST:PERMISSIONS and HOST:CONTAINER:PERMISSIONS', () => {
    expect(parseDeviceFlag('/dev/loop3:/dev/xvda', stat).node.path).toBe('/dev/xvda');
    expect(parseDeviceFlag('/dev/loop3:r', stat)).toMatchObject({
      node: { path: '/dev/loop3' },
      access: 'r',
    });
    expect(parseDeviceFlag('/dev/net/tun:/dev/net/tun:mw', stat)).toEqual({
      node: { path: '/dev/net/tun', type: 'c', major: 10, minor: 200, mode: 0o666 },
      access: 'wm',
    });
    expect(parseDeviceFlag('/dev/big', stat).node).toMatchObject({ major: 259, minor: 300 });
  });

  it('refuses what is not a device, a relative path and bad permissions', () => {
    for (const bad of [
      '/etc/passwd',
      '/dev/missing',
      '/dev/loop3:dev/x',
      '/dev/loop3:/dev/x:rx',
      '/a:/b:r:w',
      '',
    ])
      expect(() => parseDeviceFlag(bad, stat), bad).toThrow(InvalidValueError);
  });
});
