import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { InvalidValueError } from '@koker/core';
import { lgetxattr } from '@koker/host';
import { readRegularFile } from '@koker/host';

const MAX_LINKS = 40;
const OPAQUE = 'trusted.overlay.opaque';

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** overlayfs' whiteout: a character device 0/0 hides the name in the layers below. */
function isWhiteout(stat: Stats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0;
}

function isOpaque(dir: string): boolean {
  return lgetxattr(dir, OPAQUE)?.toString() === 'y';
}

/**
 * The host path of `path` in an overlay's merged view, computed from its layer directories
 * (`layers`: the upper directory first, then the lower ones, topmost first) as overlayfs resolves
 * it, without a mount: for each name the first layer holding it decides (a whiteout hides it, a
 * file or symlink is it), a directory merges with the same directory of the layers below until
 * one is opaque or holds a non-directory. Symlinks resolve in the merged view, as if it were `/`
 * (an image's links never lead out of it). Undefined when absent.
 */
export function resolveMerged(layers: readonly string[], path: string): string | undefined {
  const pending = path.split('/').filter(Boolean);
  let done: string[] = [];
  let dirs = [...layers];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      // Back to the parent: its layers are found again from the root.
      pending.unshift(...done.slice(0, -1));
      done = [];
      dirs = [...layers];
      continue;
    }
    let found: { path: string; stat: Stats; index: number } | undefined;
    for (let i = 0; i < dirs.length && !found; i++) {
      const candidate = join(dirs[i] as string, part);
      const stat = lstatOrUndefined(candidate);
      if (stat) found = { path: candidate, stat, index: i };
    }
    if (!found || isWhiteout(found.stat)) return undefined;
    if (found.stat.isSymbolicLink()) {
      if (++links > MAX_LINKS)
        throw new InvalidValueError('path in the image', path, 'too many levels of symbolic links');
      const target = readlinkSync(found.path);
      // Resolved again from the root: relative to the link's directory, or from / when absolute.
      pending.unshift(...(target.startsWith('/') ? [] : done), ...target.split('/').filter(Boolean));
      done = [];
      dirs = [...layers];
      continue;
    }
    if (!found.stat.isDirectory()) {
      // A file ends the walk; a file in the middle of a path means there is no such path.
      return pending.length === 0 ? found.path : undefined;
    }
    const merged = [found.path];
    if (!isOpaque(found.path)) {
      for (const below of dirs.slice(found.index + 1)) {
        const candidate = join(below, part);
        const stat = lstatOrUndefined(candidate);
        if (!stat) continue;
        if (!stat.isDirectory()) break; // a whiteout or a file ends the merge
        merged.push(candidate);
        if (isOpaque(candidate)) break;
      }
    }
    done.push(part);
    dirs = merged;
  }
  return dirs[0];
}

/**
 * Reads a regular file of an overlay's merged view from its layer directories (see
 * resolveMerged); undefined when it is absent, not a regular file, or larger than `maxBytes`.
 * The layers belong to a container that is not running: nothing swaps a component meanwhile.
 */
export function readMergedFile(
  layers: readonly string[],
  path: string,
  maxBytes = 4 * 1024 * 1024,
): string | undefined {
  const host = resolveMerged(layers, path);
  return host === undefined ? undefined : readRegularFile(host, maxBytes);
}
