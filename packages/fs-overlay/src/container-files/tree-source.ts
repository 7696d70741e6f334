import { closeSync, openSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { type Logger, SyscallError } from '@koker/core';
import { ERRNO, O } from '../kernel/at-calls.js';
import { FsContext } from '../overlay/mount-api.js';
import { atCalls, inContainer, openPath, statFd, textPath, type PathBase } from './in-root.js';
import { readTree } from './tree-reader.js';
import { type TreeEntry } from './tree-entry.js';

/**
 * Files under a root descriptor (a build context directory, an image's layers mounted
 * detached), every path resolved inside it (RESOLVE_IN_ROOT: symlinks and '..' never leave it).
 * Paths are byte strings relative to the root ('' or '/' is the root itself).
 */
export interface TreeSource {
  /** The stat of `path` (its final symlink followed inside the root with `follow`), or undefined. */
  stat(path: string, follow?: boolean): Stats | undefined;
  /** The names in a directory, sorted. */
  readdir(path: string): string[];
  /** The tree at `path` as entries, the top named `topName` ('' lists only a directory's contents). */
  entries(path: string, topName: string, follow?: boolean): AsyncIterable<TreeEntry>;
  readFile(path: string): Buffer;
  close(): void;
}

function open(base: PathBase, path: string, follow: boolean): number {
  const fd = openPath(base, path === '' ? '/' : path, follow);
  if (fd < 0) throw new SyscallError('openat2', -fd, textPath(path));
  return fd;
}

/** A TreeSource over `rootFd` (closed by `close()`). */
export function treeSource(rootFd: number, source = 'tree'): TreeSource {
  const base = inContainer(rootFd);
  const at = atCalls();
  return {
    stat(path, follow = false) {
      const fd = openPath(base, path === '' ? '/' : path, follow);
      if (fd === -ERRNO.ENOENT || fd === -ERRNO.ENOTDIR) return undefined;
      if (fd < 0) throw new SyscallError('openat2', -fd, `${source}: ${textPath(path)}`);
      try {
        return statFd(fd);
      } finally {
        at.close(fd);
      }
    },
    readdir(path) {
      const fd = open(base, path, true);
      try {
        return readdirSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' })
          .map((n) => n.toString('latin1'))
          .sort();
      } finally {
        at.close(fd);
      }
    },
    async *entries(path, topName, follow = false) {
      const fd = open(base, path, follow);
      try {
        // Every xattr a layer may carry, as a build's COPY keeps them.
        yield* readTree(fd, { topName, xattrs: 'archive' });
      } finally {
        at.close(fd);
      }
    },
    readFile(path) {
      const fd = open(base, path, true);
      try {
        const file = openSync(`/proc/self/fd/${fd}`, O.RDONLY | O.CLOEXEC);
        try {
          return readFileSync(file);
        } finally {
          closeSync(file);
        }
      } finally {
        at.close(fd);
      }
    },
    close: () => closeSync(rootFd),
  };
}

/** A directory on the host (a build context) as a TreeSource. */
export function directorySource(path: string): TreeSource {
  return treeSource(openSync(path, O.PATH | O.DIRECTORY | O.CLOEXEC), path);
}

/**
 * An image's files as a TreeSource: its layer directories (topmost first) under a read-only
 * overlay mounted detached (fsmount, never attached to the host's tree; gone when closed).
 * `empty` is an empty directory, the lower layer of an image that has none.
 */
export function imageSource(layerDirs: readonly string[], empty: string, log: Logger): TreeSource {
  const context = new FsContext('overlay');
  try {
    // A read-only overlay needs two lower layers: the empty one goes at the bottom.
    for (const lower of [...layerDirs, empty]) context.setString('lowerdir+', lower);
    context.create();
    const fd = context.detachedMount(true);
    log.debug({ fd, layers: layerDirs.length }, 'Mount image layers detached');
    return treeSource(fd, 'image');
  } finally {
    context.close();
  }
}
