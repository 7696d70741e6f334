import { closeSync, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import { O, RESOLVE_SAFE } from '../kernel/at-calls.js';
import { atCalls } from './in-root.js';
import { keepsXattr, type XattrPolicy } from './xattr-keep.js';
import { PERMISSION_BITS, type TreeEntry, type TreeEntryType } from './tree-entry.js';

const CHUNK = 1024 * 1024;

function typeOf(stats: Stats): TreeEntryType | undefined {
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isBlockDevice()) return 'block';
  return undefined; // sockets are not archived (as tar does)
}

/**
 * A regular file's content read through its own descriptor: reopened from the O_PATH one (the
 * same inode, whatever happened to its name meanwhile), exactly `size` bytes (a file that
 * shrank is padded, one that grew is cut, so the tar header stays true).
 */
async function* contentOf(pathFd: number, stats: Stats): AsyncGenerator<Buffer> {
  const fd = openSync(`/proc/self/fd/${pathFd}`, O.RDONLY | O.CLOEXEC | O.NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (opened.ino !== stats.ino || opened.dev !== stats.dev) throw new Error('file changed while copied');
    let left = stats.size;
    while (left > 0) {
      const buffer = Buffer.alloc(Math.min(CHUNK, left));
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) {
        yield buffer; // shrank: zeros
        left -= buffer.length;
        continue;
      }
      left -= n;
      yield n === buffer.length ? buffer : buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

export interface ReadTreeOptions {
  /** The top entry's name; '' copies only what a directory holds (`SRC/.`). */
  readonly topName: string;
  /** The extended attributes read (file capabilities only by default). */
  readonly xattrs?: XattrPolicy;
}

/**
 * The entries of the tree at `fd` (an O_PATH descriptor, closed by the caller): the top first,
 * then, for a directory, its children in name order, depth first. Below the top every name is
 * opened from its parent's descriptor without following anything (O_NOFOLLOW, RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS): a symlink is archived as a symlink, and a name swapped for a symlink
 * while the copy runs cannot lead it out of the tree. Files with several links are archived
 * once, then as hardlinks to that entry.
 */
export async function* readTree(fd: number, options: ReadTreeOptions): AsyncGenerator<TreeEntry> {
  const links = new Map<string, string>();
  const policy = options.xattrs ?? 'capabilities';
  yield* walk(fd, options.topName, links, (name) => keepsXattr(policy, name));
}

async function* walk(
  fd: number,
  name: string,
  links: Map<string, string>,
  keep: (xattr: string) => boolean,
): AsyncGenerator<TreeEntry> {
  const at = atCalls();
  const stats = fstatSync(fd);
  const type = typeOf(stats);
  if (!type) return;
  const base = {
    name,
    mode: stats.mode & PERMISSION_BITS,
    uid: stats.uid,
    gid: stats.gid,
    mtime: Math.floor(stats.mtimeMs / 1000),
    size: 0,
  };
  const xattrs = () => {
    const found = at.xattrsOf(fd, keep);
    return found.size > 0 ? { xattrs: found } : {};
  };
  if (type === 'dir') {
    if (name !== '') yield { ...base, type, ...xattrs() };
    const children = readdirSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' })
      .map((child) => child.toString('latin1'))
      .sort();
    for (const child of children) {
      const childFd = at.openat2(fd, child, O.PATH | O.NOFOLLOW, 0, RESOLVE_SAFE);
      if (childFd < 0) continue; // removed meanwhile
      try {
        yield* walk(childFd, name === '' ? child : `${name}/${child}`, links, keep);
      } finally {
        at.close(childFd);
      }
    }
    return;
  }
  if (type === 'symlink') {
    yield { ...base, type, linkname: at.readlinkat(fd, '') };
    return;
  }
  if (type === 'file') {
    const key = `${stats.dev}:${stats.ino}`;
    const first = stats.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) {
      yield { ...base, type: 'hardlink', linkname: first };
      return;
    }
    if (stats.nlink > 1) links.set(key, name);
    yield { ...base, type, size: stats.size, ...xattrs(), content: contentOf(fd, stats) };
    return;
  }
  const rdev = stats.rdev;
  yield {
    ...base,
    type,
    devmajor: type === 'fifo' ? 0 : Math.floor(rdev / 256) & 0xfff,
    devminor: type === 'fifo' ? 0 : (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00),
  };
}
