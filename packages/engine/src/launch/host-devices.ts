import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { type DeviceNode } from '@koker/core';
import { DEFAULT_DEVICES, DEFAULT_SYMLINKS } from './launch-plan.js';

/** What host-device discovery reads; tests pass a fake tree. */
export interface DeviceTree {
  readonly list: (dir: string) => string[];
  readonly lstat: (path: string) => Stats;
}

const nodeTree: DeviceTree = { list: (dir) => readdirSync(dir), lstat: (path) => lstatSync(path) };

// Filesystems of their own in the container's /dev, and directories of other tools.
const SKIPPED_DIRS = new Set(['pts', 'shm', 'mqueue', 'fd', '.lxc', '.lxd-mounts', '.udev']);
// Made by koker already (nodes and links of Docker's /dev), or the container's own terminal.
const TAKEN = new Set([
  ...DEFAULT_DEVICES.map((d) => d.path),
  ...DEFAULT_SYMLINKS.map((s) => s.path),
  '/dev/console',
]);

/**
 * `--privileged`: every device node of the host's /dev (symlinks and the container's own
 * filesystems left out), as Docker shows them, with the host's numbers and permissions.
 */
export function hostDevices(tree: DeviceTree = nodeTree, dir = '/dev'): DeviceNode[] {
  const found: DeviceNode[] = [];
  let names: string[];
  try {
    names = tree.list(dir);
  } catch {
    return found;
  }
  for (const name of names.sort()) {
    const path = posix.join(dir, name);
    if (TAKEN.has(path)) continue;
    let info: Stats;
    try {
      info = tree.lstat(path);
    } catch {
      continue; // gone meanwhile
    }
    if (info.isDirectory()) {
      if (!(dir === '/dev' && SKIPPED_DIRS.has(name))) found.push(...hostDevices(tree, path));
      continue;
    }
    if (!info.isCharacterDevice() && !info.isBlockDevice()) continue;
    const rdev = info.rdev;
    found.push({
      path,
      type: info.isBlockDevice() ? 'b' : 'c',
      major: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
      minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
      mode: info.mode & 0o777,
    });
  }
  return found;
}
