import { statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { InvalidValueError, type DeviceMapping } from '@koker/core';

const PERMISSIONS = /^[rwm]{1,3}$/;

function validPermissions(text: string): boolean {
  return PERMISSIONS.test(text) && new Set(text).size === text.length;
}

/**
 * `--device HOST[:CONTAINER][:PERMISSIONS]`, Docker's syntax: the container path defaults to
 * the host path, the permissions to `rwm`. The host path must be a device node (symlinks
 * followed, as Docker does); its type and numbers are what the container gets.
 */
export function parseDeviceFlag(value: string, stat: (path: string) => Stats = statSync): DeviceMapping {
  const parts = value.split(':');
  const host = parts[0] ?? '';
  let [, container, access = 'rwm'] = parts;
  if (parts.length === 2 && validPermissions(container ?? '')) {
    access = container!;
    container = undefined;
  }
  container ??= host;
  const fail = (why: string) => new InvalidValueError('device', value, why);
  if (parts.length > 3 || host === '') throw fail('expected HOST[:CONTAINER][:PERMISSIONS]');
  if (!validPermissions(access)) throw fail(`permissions "${access}" are not a combination of r, w and m`);
  if (!posix.isAbsolute(container) || container.split('/').includes('..'))
    throw fail(`the container path "${container}" must be absolute, without ".."`);
  let info: Stats;
  try {
    info = stat(host);
  } catch (error) {
    throw fail(`cannot stat ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!info.isCharacterDevice() && !info.isBlockDevice()) throw fail(`${host} is not a device node`);
  const rdev = info.rdev;
  return {
    node: {
      path: posix.normalize(container),
      type: info.isBlockDevice() ? 'b' : 'c',
      // Linux's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
      major: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
      minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
      mode: info.mode & 0o777,
    },
    access: [...'rwm'].filter((a) => access.includes(a)).join(''),
  };
}
