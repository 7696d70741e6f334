import { type Stats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostDevices, type DeviceTree } from '../src/launch/host-devices.js';

type Entry = 'dir' | 'link' | 'file' | ['b' | 'c', number, number];

const stats = (entry: Entry): Stats =>
  ({
    isDirectory: () => entry === 'dir',
    isBlockDevice: () => Array.isArray(entry) && entry[0] === 'b',
    isCharacterDevice: () => Array.isArray(entry) && entry[0] === 'c',
    rdev: Array.isArray(entry) ? (entry[2] & 0xff) | (entry[1] << 8) : 0,
    mode: 0o20660,
  }) as unknown as Stats;

function tree(entries: Record<string, Entry>): DeviceTree {
  return {
    list: (dir) =>
      Object.keys(entries)
        .filter((p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'))
        .map((p) => p.slice(dir.length + 1)),
    lstat: (path) => stats(entries[path]!),
  };
}

describe('hostDevices', () => {
  it("lists the host's nodes, nested ones too, but not koker's own, links or the container's filesystems", () => {
    const found = hostDevices(
      tree({
        '/dev/loop0': ['b', 7, 0],
        '/dev/null': ['c', 1, 3],
        '/dev/ptmx': ['c', 5, 2],
        '/dev/console': ['c', 5, 1],
        '/dev/net': 'dir',
        '/dev/net/tun': ['c', 10, 200],
        '/dev/pts': 'dir',
        '/dev/pts/0': ['c', 136, 0],
        '/dev/stdin': 'link',
        '/dev/.placeholder': 'file',
      }),
    );
    expect(found).toEqual([
      { path: '/dev/loop0', type: 'b', major: 7, minor: 0, mode: 0o660 },
      { path: '/dev/net/tun', type: 'c', major: 10, minor: 200, mode: 0o660 },
    ]);
  });
});
