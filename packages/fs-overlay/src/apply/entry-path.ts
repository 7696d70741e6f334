import { InvalidValueError } from '@koker/core';
import { displayName } from '../tar/tar-entry.js';

/** Longest path the kernel takes (PATH_MAX, with its NUL). */
const PATH_MAX = 4095;

export function refuseEntry(name: string, reason: string): InvalidValueError {
  return new InvalidValueError('layer entry', displayName(name), reason, {
    hint: 'the layer is refused as a whole; it was built by a broken or hostile tool',
  });
}

/**
 * A tar entry name made relative to the layer directory: leading slashes are confined (as GNU
 * tar and Docker do), `.` and empty components dropped, and any `..` component refused, so no
 * name can leave the layer. Returns '' for the layer root itself. Byte strings in and out.
 */
export function entryPath(name: string, entry = name): string {
  if (name.includes('\0')) throw refuseEntry(entry, 'the name contains a NUL byte');
  if (name.length > PATH_MAX) throw refuseEntry(entry, 'the name is longer than PATH_MAX');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw refuseEntry(entry, 'the name has a ".." component (it would leave the layer)');
    parts.push(part);
  }
  return parts.join('/');
}

export function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? { dir: '', base: path } : { dir: path.slice(0, slash), base: path.slice(slash + 1) };
}

export function joinPath(dir: string, base: string): string {
  return dir === '' ? base : `${dir}/${base}`;
}

/** Whether `path` is `ancestor` or lies beneath it. */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}/`);
}
