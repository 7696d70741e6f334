import { fstatSync, readdirSync, type Stats } from 'node:fs';
import { StateError } from '@koker/core';
import { xattrAllowed } from '../apply/xattr-policy.js';
import { atCalls } from '../container-files/in-root.js';
import { contentOf } from '../container-files/tree-reader.js';
import { PERMISSION_BITS, type TreeEntry } from '../container-files/tree-entry.js';
import { O, RESOLVE_SAFE, type AtCalls } from '../kernel/at-calls.js';
import { resolveMerged } from '../overlay/merged-read.js';

/** A layer tar entry: a tree entry with the xattrs it carries (never overlayfs' own). */
export interface LayerEntry extends TreeEntry {
  readonly xattrs?: ReadonlyMap<string, Buffer>;
}

export interface UpperEntriesOptions {
  /** The image's layer directories, topmost first: what the upper directory lies over. */
  readonly lowers: readonly string[];
  /**
   * Paths the runtime adds as mount targets (/proc, /etc/hosts...): left out when the image
   * lacks them, as Docker keeps them in a layer of their own below the container's.
   */
  readonly mountTargets?: readonly string[];
}

/** The OCI whiteout forms (image-spec layer.md). */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

const OPAQUE = 'trusted.overlay.opaque';
/** overlayfs metadata a layer tar cannot express: the data or name lives in a lower layer. */
const UNARCHIVABLE = ['trusted.overlay.redirect', 'trusted.overlay.metacopy'];

interface Walk {
  readonly at: AtCalls;
  readonly options: UpperEntriesOptions;
  readonly skip: ReadonlySet<string>;
  /** dev:ino of files with several links → the entry name archived first. */
  readonly links: Map<string, string>;
}

/**
 * The entries of an OCI layer tar for an overlay upper directory, parents before children, in
 * name order: a whiteout (character device 0/0) becomes an empty `.wh.NAME` file; a directory
 * with `trusted.overlay.opaque=y` is followed by an empty `.wh..wh..opq`; files with several links
 * are archived once, then as hardlinks; owners, modes, times and xattrs (those the applier
 * accepts) are kept. Every name is opened from its parent's descriptor with O_NOFOLLOW and
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so a symlink (or one swapped in by a running container)
 * is archived as a link and never followed. A redirected or metacopy-only entry (overlayfs
 * features koker does not mount with) is refused rather than archived wrong.
 */
export async function* upperLayerEntries(
  upper: string,
  options: UpperEntriesOptions,
): AsyncGenerator<LayerEntry> {
  const at = atCalls();
  const fd = at.openat2(-100, upper, O.RDONLY | O.DIRECTORY, 0, 0);
  if (fd < 0) throw new StateError(`cannot open the upper directory ${upper} (errno ${-fd})`);
  try {
    yield* walkDir({ at, options, skip: new Set(options.mountTargets ?? []), links: new Map() }, fd, '');
  } finally {
    at.close(fd);
  }
}

function xattrsOf(at: AtCalls, dirFd: number, name: string, path: string): Map<string, Buffer> {
  // Through the parent's descriptor, the last component not followed (l*xattr).
  const where = `/proc/self/fd/${dirFd}/${name}`;
  const xattrs = new Map<string, Buffer>();
  for (const key of at.llistxattr(where)) {
    if (UNARCHIVABLE.includes(key)) {
      throw new StateError(`${path} carries overlayfs metadata (${key}) a layer cannot hold`, {
        hint: 'koker mounts overlayfs without redirect_dir and metacopy; was this directory made by another tool?',
      });
    }
    if (!xattrAllowed(key)) continue;
    const value = at.lgetxattr(where, key);
    if (value) xattrs.set(key, Buffer.from(value));
  }
  return xattrs;
}

async function* walkDir(walk: Walk, dirFd: number, dir: string): AsyncGenerator<LayerEntry> {
  const { at } = walk;
  const names = readdirSync(`/proc/self/fd/${dirFd}`, { encoding: 'buffer' })
    .map((name) => name.toString('latin1'))
    .sort();
  for (const name of names) {
    const path = dir === '' ? name : `${dir}/${name}`;
    const fd = at.openat2(dirFd, name, O.PATH | O.NOFOLLOW, 0, RESOLVE_SAFE);
    if (fd < 0) continue; // removed meanwhile
    try {
      const stats = fstatSync(fd);
      if (walk.skip.has(`/${path}`) && resolveMerged(walk.options.lowers, `/${path}`) === undefined) continue;
      const base = {
        mode: stats.mode & PERMISSION_BITS,
        uid: stats.uid,
        gid: stats.gid,
        mtime: Math.floor(stats.mtimeMs / 1000),
        size: 0,
      };
      if (stats.isCharacterDevice() && stats.rdev === 0) {
        const whiteout = dir === '' ? `${WHITEOUT_PREFIX}${name}` : `${dir}/${WHITEOUT_PREFIX}${name}`;
        yield { ...base, mode: 0, name: whiteout, type: 'file', content: empty() };
        continue;
      }
      const xattrs = xattrsOf(at, dirFd, name, path);
      const opaque = stats.isDirectory() && isOpaque(at, dirFd, name);
      const extra = xattrs.size > 0 ? { xattrs } : {};
      yield* entryOf(walk, fd, stats, path, { ...base, ...extra });
      if (!stats.isDirectory()) continue;
      if (opaque)
        yield { ...base, mode: 0, name: `${path}/${OPAQUE_MARKER}`, type: 'file', content: empty() };
      const childFd = at.openat2(dirFd, name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW, 0, RESOLVE_SAFE);
      if (childFd < 0) continue;
      try {
        yield* walkDir(walk, childFd, path);
      } finally {
        at.close(childFd);
      }
    } finally {
      at.close(fd);
    }
  }
}

function isOpaque(at: AtCalls, dirFd: number, name: string): boolean {
  return at.lgetxattr(`/proc/self/fd/${dirFd}/${name}`, OPAQUE)?.toString() === 'y';
}

async function* empty(): AsyncGenerator<Buffer> {
  // A whiteout or opaque marker has no content.
}

type Base = Omit<LayerEntry, 'name' | 'type'>;

function* entryOf(walk: Walk, fd: number, stats: Stats, name: string, base: Base): Generator<LayerEntry> {
  if (stats.isDirectory()) {
    yield { ...base, name, type: 'dir' };
    return;
  }
  if (stats.isSymbolicLink()) {
    yield { ...base, name, type: 'symlink', linkname: walk.at.readlinkat(fd, '') };
    return;
  }
  if (stats.isFile()) {
    const key = `${stats.dev}:${stats.ino}`;
    const first = stats.nlink > 1 ? walk.links.get(key) : undefined;
    if (first !== undefined) {
      yield { ...base, name, type: 'hardlink', linkname: first };
      return;
    }
    if (stats.nlink > 1) walk.links.set(key, name);
    yield { ...base, name, type: 'file', size: stats.size, content: contentOf(fd, stats) };
    return;
  }
  if (stats.isFIFO()) {
    yield { ...base, name, type: 'fifo', devmajor: 0, devminor: 0 };
    return;
  }
  if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const rdev = stats.rdev;
    yield {
      ...base,
      name,
      type: stats.isCharacterDevice() ? 'char' : 'block',
      devmajor: Math.floor(rdev / 256) & 0xfff,
      devminor: (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00),
    };
  }
  // Sockets are not archived (as tar does).
}
