import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type PreparedRootfs } from '../../contracts/storage.js';

/**
 * Reads a regular file of a prepared root as the container will see it, the way the engine does:
 * through `readFile` when the driver offers it, else from the directory at `path`, resolving
 * symlinks inside it (an absolute link target means the root's `/`). Undefined when absent.
 */
export function readRootFile(rootfs: PreparedRootfs, path: string): string | undefined {
  if (rootfs.readFile) return rootfs.readFile(path);
  if (rootfs.overlay) {
    throw new Error(
      'the root is an overlay for the launcher to mount, but PreparedRootfs.readFile is missing: the engine could not read its /etc/passwd',
    );
  }
  return readInDirectory(rootfs.path, path);
}

function readInDirectory(root: string, path: string): string | undefined {
  const pending = path.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    let stat;
    try {
      stat = lstatSync(host);
    } catch {
      return undefined;
    }
    if (stat.isSymbolicLink()) {
      if (++links > 40) throw new Error(`too many symbolic links in ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    if (pending.length === 0) return stat.isFile() ? readFileSync(host, 'utf8') : undefined;
    if (!stat.isDirectory()) return undefined;
    done.push(part);
  }
  return undefined;
}
