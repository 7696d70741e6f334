import { readFileSync, readdirSync, writeSync } from 'node:fs';
import { InvalidValueError, type Logger } from '@koker/core';
import { AT, AtCalls, ERRNO, O, RESOLVE_SAFE, S, check, makedev, timespecs } from '../kernel/at-calls.js';
import { displayName, type EntryHandler, type EntrySink, type TarEntry } from '../tar/tar-entry.js';
import { entryPath, isWithin, joinPath, refuseEntry, splitPath } from './entry-path.js';
import { xattrAllowed } from './xattr-policy.js';

/** overlayfs' marks in a layer directory (see the package README). */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
const AUFS_META_PREFIX = '.wh..wh.';

/** Directory fds kept open for the entries that follow (tar lists a directory's files together). */
const DIR_CACHE_SIZE = 32;

export interface LayerWriterOptions {
  /** An fd of the (empty) layer directory; the writer never resolves a path outside it. */
  readonly rootFd: number;
  readonly log: Logger;
  /** Apply uid/gid from the tar (needs root); otherwise files belong to the caller. */
  readonly preserveOwners: boolean;
  readonly maxEntries: number;
  /** What the log lines call this layer. */
  readonly layer: string;
  /**
   * `overlay` (a layer directory): whiteouts become overlayfs' own marks. `remove` (a flattened
   * root filesystem, the copy driver): they remove what they name from what is below.
   */
  readonly whiteouts?: 'overlay' | 'remove';
}

function readUmask(): number {
  try {
    const match = /^Umask:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? parseInt(match[1] ?? '22', 8) : 0o022;
  } catch {
    return 0o022;
  }
}

let umask: number | undefined;

/** The process umask, read once when the first layer is applied (not at import). */
function processUmask(): number {
  umask ??= readUmask();
  return umask;
}

/**
 * Writes tar entries into a layer directory through file descriptors only: every path is looked
 * up with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) from the layer's
 * own fd, and every leaf is created with an *at call that does not follow it. Whiteouts become
 * overlayfs whiteouts (0/0 character devices) and opaque markers the opaque xattr. Directory
 * metadata is applied at the end, once their contents are written.
 */
export class LayerWriter implements EntryHandler {
  private readonly sys = new AtCalls();
  private readonly dirs = new Map<string, number>();
  private readonly deferredDirs = new Map<string, TarEntry>();
  private readonly deferredLinks: { entry: TarEntry; path: string; target: string }[] = [];
  /** Whiteout devices this layer made: a directory replacing one must hide lower content too. */
  private readonly whiteouts = new Set<string>();
  private openFile = -1;
  private entries = 0;
  /** Bytes of file data written. */
  bytesWritten = 0;

  constructor(private readonly options: LayerWriterOptions) {}

  get entryCount(): number {
    return this.entries;
  }

  entry(entry: TarEntry): EntrySink | undefined {
    if (++this.entries > this.options.maxEntries) {
      throw refuseEntry(entry.name, `the layer has more than ${this.options.maxEntries} entries (the limit)`);
    }
    const path = entryPath(entry.name);
    const { dir, base } = splitPath(path);
    if (path.startsWith(AUFS_META_PREFIX) && path !== OPAQUE_MARKER) {
      // aufs' own metadata at the layer root (.wh..wh.plnk/, .wh..wh.aufs): meaningless here.
      this.options.log.debug({ layer: this.options.layer, path: displayName(path) }, 'Skip aufs metadata');
      return undefined;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(entry, dir, base);
      return undefined;
    }
    if (path === '' && entry.type !== 'directory') {
      throw refuseEntry(entry.name, `the layer root cannot be a ${entry.type}`);
    }
    switch (entry.type) {
      case 'file':
        return this.file(entry, path, dir, base);
      case 'directory':
        this.directory(entry, path, dir, base);
        return undefined;
      case 'symlink':
        this.symlink(entry, path, dir, base);
        return undefined;
      case 'hardlink':
        this.hardlink(entry, path, dir, base, false);
        return undefined;
      case 'char':
      case 'block':
      case 'fifo':
        this.node(entry, path, dir, base);
        return undefined;
    }
  }

  /** Creates the hardlinks whose targets came later, then applies directory metadata. */
  finish(): void {
    let pending = this.deferredLinks.splice(0);
    while (pending.length > 0) {
      const before = pending.length;
      for (const link of pending) {
        const { dir, base } = splitPath(link.path);
        this.hardlink(link.entry, link.path, dir, base, true);
      }
      pending = this.deferredLinks.splice(0);
      if (pending.length === before) {
        const first = pending[0]!;
        throw refuseEntry(
          first.entry.name,
          `its hardlink target "${displayName(first.target)}" is not in the layer`,
        );
      }
    }
    this.closeDirs();
    // Deepest first: a parent made read-only must not stop its children's metadata.
    const paths = [...this.deferredDirs.keys()].sort((a, b) => depth(b) - depth(a));
    for (const path of paths) this.directoryMetadata(path, this.deferredDirs.get(path)!);
  }

  /** Releases every descriptor (after finish, or on failure). */
  close(): void {
    if (this.openFile >= 0) this.sys.close(this.openFile);
    this.openFile = -1;
    this.closeDirs();
  }

  private file(entry: TarEntry, path: string, dir: string, base: string): EntrySink {
    const parent = this.dirFd(dir, entry);
    const mode = entry.mode & 0o777;
    const flags = O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW;
    let fd = this.sys.openat2(parent, base, flags, mode, RESOLVE_SAFE);
    if (fd === -ERRNO.EEXIST) {
      this.removeExisting(parent, base, path, entry);
      fd = this.sys.openat2(parent, base, flags, mode, RESOLVE_SAFE);
    }
    check('openat2', fd, displayName(path));
    this.openFile = fd;
    const chown = this.needsChown(entry);
    const chmod = chown || (entry.mode & 0o7000) !== 0 || (mode & processUmask()) !== 0;
    return {
      write: (chunk) => {
        let offset = 0;
        while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
        this.bytesWritten += chunk.length;
      },
      end: () => {
        // chown clears setuid bits and file capabilities: owner first, then mode, then xattrs.
        if (chown) check('fchown', this.sys.fchown(fd, entry.uid, entry.gid), displayName(path));
        if (chmod) check('fchmod', this.sys.fchmod(fd, entry.mode), displayName(path));
        for (const [name, value] of this.xattrs(entry, path)) {
          check('fsetxattr', this.sys.fsetxattr(fd, name, value), `${displayName(path)}, ${name}`);
        }
        check('futimens', this.sys.futimens(fd, times(entry)), displayName(path));
        this.openFile = -1;
        this.sys.close(fd);
      },
    };
  }

  private directory(entry: TarEntry, path: string, dir: string, base: string): void {
    if (path !== '') {
      const parent = this.dirFd(dir, entry);
      let r = this.sys.mkdirat(parent, base, 0o700);
      if (r === -ERRNO.EEXIST && !this.isDirectory(parent, base)) {
        this.removeExisting(parent, base, path, entry);
        r = this.sys.mkdirat(parent, base, 0o700);
      }
      if (r !== -ERRNO.EEXIST) check('mkdirat', r, displayName(path));
      if (this.whiteouts.delete(path)) this.setOpaque(path, entry);
    }
    this.deferredDirs.set(path, entry);
  }

  private symlink(entry: TarEntry, path: string, dir: string, base: string): void {
    if (entry.linkname.includes('\0') || entry.linkname.length === 0) {
      throw refuseEntry(entry.name, 'the symlink target is empty or contains a NUL byte');
    }
    const parent = this.dirFd(dir, entry);
    let r = this.sys.symlinkat(entry.linkname, parent, base);
    if (r === -ERRNO.EEXIST) {
      this.removeExisting(parent, base, path, entry);
      r = this.sys.symlinkat(entry.linkname, parent, base);
    }
    check('symlinkat', r, `${displayName(entry.linkname)}, ${displayName(path)}`);
    this.leafMetadata(entry, parent, base, path, false);
  }

  private hardlink(entry: TarEntry, path: string, dir: string, base: string, retry: boolean): void {
    const target = entryPath(entry.linkname, entry.name);
    if (target === '') throw refuseEntry(entry.name, 'a hardlink to the layer root');
    if (target === path) return;
    const { dir: targetDir, base: targetBase } = splitPath(target);
    const targetParent = this.existingDirFd(targetDir, entry);
    const parent = this.dirFd(dir, entry);
    let r = targetParent < 0 ? -ERRNO.ENOENT : this.sys.linkat(targetParent, targetBase, parent, base);
    if (r === -ERRNO.EEXIST) {
      this.removeExisting(parent, base, path, entry);
      r = this.sys.linkat(targetParent, targetBase, parent, base);
    }
    if (r === -ERRNO.ENOENT) {
      // Its target comes later in the stream (or never: then finish() refuses the layer).
      if (!retry)
        this.options.log.debug({ layer: this.options.layer, path: displayName(path) }, 'Defer hardlink');
      this.deferredLinks.push({ entry, path, target });
      return;
    }
    if (r === -ERRNO.EPERM) throw refuseEntry(entry.name, 'a hardlink to a directory');
    check('linkat', r, `${displayName(target)}, ${displayName(path)}`);
    this.whiteouts.delete(path);
  }

  private node(entry: TarEntry, path: string, dir: string, base: string): void {
    const parent = this.dirFd(dir, entry);
    const kind = entry.type === 'char' ? S.IFCHR : entry.type === 'block' ? S.IFBLK : S.IFIFO;
    const dev = entry.type === 'fifo' ? 0n : makedev(entry.devmajor, entry.devminor);
    let r = this.sys.mknodat(parent, base, kind | (entry.mode & 0o777), dev);
    if (r === -ERRNO.EEXIST) {
      this.removeExisting(parent, base, path, entry);
      r = this.sys.mknodat(parent, base, kind | (entry.mode & 0o777), dev);
    }
    check('mknodat', r, displayName(path));
    this.whiteouts.delete(path);
    this.leafMetadata(entry, parent, base, path, true);
  }

  private whiteout(entry: TarEntry, dir: string, base: string): void {
    if (this.options.whiteouts === 'remove') {
      this.removeWhitedOut(entry, dir, base);
      return;
    }
    const { layer } = this.options;
    if (base === OPAQUE_MARKER) {
      this.dirFd(dir, entry);
      this.setOpaque(dir, entry);
      this.options.log.debug({ layer, dir: displayName(dir) || '/' }, 'Mark directory opaque');
      return;
    }
    if (base.startsWith(AUFS_META_PREFIX)) {
      this.options.log.debug({ layer, path: displayName(joinPath(dir, base)) }, 'Skip aufs metadata');
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') {
      throw refuseEntry(entry.name, 'a whiteout of no file, "." or ".."');
    }
    const path = joinPath(dir, name);
    const parent = this.dirFd(dir, entry);
    const r = this.sys.mknodat(parent, name, S.IFCHR, 0n);
    if (r === -ERRNO.EEXIST) {
      // The name exists in this very layer: it already hides lower files; a directory must also
      // stop merging with lower directories.
      if (this.isDirectory(parent, name)) this.setOpaque(path, entry);
      return;
    }
    check('mknodat', r, `${displayName(path)} (whiteout)`);
    this.whiteouts.add(path);
    this.options.log.debug({ layer, path: displayName(path) }, 'Create whiteout');
  }

  private removeWhitedOut(entry: TarEntry, dir: string, base: string): void {
    const parent = this.existingDirFd(dir, entry);
    if (parent < 0) return; // nothing below to hide
    const { layer } = this.options;
    if (base === OPAQUE_MARKER) {
      const fd = this.openDirectory(dir, entry);
      try {
        for (const child of readdirSync(`/proc/self/fd/${fd}`, { encoding: 'latin1' })) {
          this.removeExisting(fd, child, joinPath(dir, child), entry);
        }
      } finally {
        this.sys.close(fd);
      }
      this.options.log.debug({ layer, dir: displayName(dir) || '/' }, 'Empty opaque directory');
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') {
      throw refuseEntry(entry.name, 'a whiteout of no file, "." or ".."');
    }
    this.removeExisting(parent, name, joinPath(dir, name), entry);
    this.options.log.debug({ layer, path: displayName(joinPath(dir, name)) }, 'Remove whited-out path');
  }

  private setOpaque(dir: string, entry: TarEntry): void {
    const fd = this.openDirectory(dir, entry);
    try {
      check(
        'fsetxattr',
        this.sys.fsetxattr(fd, OPAQUE_XATTR, Buffer.from('y')),
        `${displayName(dir) || '.'}, ${OPAQUE_XATTR}`,
      );
    } finally {
      this.sys.close(fd);
    }
  }

  /** Owner, mode, xattrs and times of a leaf that is not opened (symlink, device, FIFO). */
  private leafMetadata(
    entry: TarEntry,
    parent: number,
    base: string,
    path: string,
    chmodable: boolean,
  ): void {
    const shown = displayName(path);
    const chown = this.needsChown(entry);
    if (chown)
      check('fchownat', this.sys.fchownat(parent, base, entry.uid, entry.gid, AT.SYMLINK_NOFOLLOW), shown);
    if (chmodable && (chown || (entry.mode & 0o7000) !== 0 || (entry.mode & processUmask()) !== 0)) {
      check('fchmodat', this.sys.fchmodat(parent, base, entry.mode & 0o7777), shown);
    }
    for (const [name, value] of this.xattrs(entry, path)) {
      const r = this.sys.lsetxattrAt(parent, base, name, value);
      if (r === -ERRNO.EPERM && entry.type === 'symlink') {
        // The kernel allows no user.* attributes on symlinks.
        this.options.log.warn(
          { layer: this.options.layer, path: shown, xattr: name },
          'Skip xattr on symlink',
        );
        continue;
      }
      check('lsetxattr', r, `${shown}, ${name}`);
    }
    check('utimensat', this.sys.utimensat(parent, base, times(entry), AT.SYMLINK_NOFOLLOW), shown);
  }

  private directoryMetadata(path: string, entry: TarEntry): void {
    const fd = this.sys.openat2(this.options.rootFd, path || '.', O.RDONLY | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd === -ERRNO.ENOENT) return; // replaced later in the stream by a non-directory
    check('openat2', fd, displayName(path) || '.');
    try {
      const shown = displayName(path) || '.';
      if (this.needsChown(entry)) check('fchown', this.sys.fchown(fd, entry.uid, entry.gid), shown);
      check('fchmod', this.sys.fchmod(fd, entry.mode), shown);
      for (const [name, value] of this.xattrs(entry, path)) {
        check('fsetxattr', this.sys.fsetxattr(fd, name, value), `${shown}, ${name}`);
      }
      check('futimens', this.sys.futimens(fd, times(entry)), shown);
    } finally {
      this.sys.close(fd);
    }
  }

  private needsChown(entry: TarEntry): boolean {
    return this.options.preserveOwners && (entry.uid !== 0 || entry.gid !== 0);
  }

  private *xattrs(entry: TarEntry, path: string): Generator<[string, Buffer]> {
    for (const [name, value] of entry.xattrs) {
      if (xattrAllowed(name)) yield [name, value];
      else
        this.options.log.debug(
          { layer: this.options.layer, path: displayName(path), xattr: name },
          'Skip xattr',
        );
    }
  }

  private isDirectory(parent: number, base: string): boolean {
    const fd = this.sys.openat2(parent, base, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd < 0) return false;
    this.sys.close(fd);
    return true;
  }

  /** A read fd of a directory (fsetxattr and fchmod need more than O_PATH). */
  private openDirectory(path: string, entry: TarEntry): number {
    const fd = this.sys.openat2(this.options.rootFd, path || '.', O.RDONLY | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd < 0) this.refuseLookup(fd, entry, path);
    return fd;
  }

  /** The O_PATH fd of a directory of the layer, creating missing ones (0755, as Docker does). */
  private dirFd(path: string, entry: TarEntry): number {
    if (path === '') return this.options.rootFd;
    const cached = this.dirs.get(path);
    if (cached !== undefined) {
      this.dirs.delete(path);
      this.dirs.set(path, cached);
      return cached;
    }
    let fd = this.sys.openat2(this.options.rootFd, path, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd === -ERRNO.ENOENT) {
      const { dir, base } = splitPath(path);
      const parent = this.dirFd(dir, entry);
      const r = this.sys.mkdirat(parent, base, 0o755);
      if (r !== -ERRNO.EEXIST) check('mkdirat', r, displayName(path));
      fd = this.sys.openat2(parent, base, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
    }
    if (fd < 0) this.refuseLookup(fd, entry, path);
    this.cache(path, fd);
    return fd;
  }

  /** Like dirFd, but -1 when the directory does not exist (a hardlink target's). */
  private existingDirFd(path: string, entry: TarEntry): number {
    if (path === '') return this.options.rootFd;
    const cached = this.dirs.get(path);
    if (cached !== undefined) return cached;
    const fd = this.sys.openat2(this.options.rootFd, path, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd === -ERRNO.ENOENT) return -1;
    if (fd < 0) this.refuseLookup(fd, entry, path);
    this.cache(path, fd);
    return fd;
  }

  private refuseLookup(result: number, entry: TarEntry, path: string): never {
    const shown = displayName(this.culprit(path));
    if (result === -ERRNO.ELOOP)
      throw refuseEntry(entry.name, `"${shown}" is a symlink: entries are never written through one`);
    if (result === -ERRNO.ENOTDIR) throw refuseEntry(entry.name, `"${shown}" is not a directory`);
    if (result === -ERRNO.EXDEV) throw refuseEntry(entry.name, `"${shown}" leaves the layer directory`);
    check('openat2', result, shown);
    throw new InvalidValueError('layer entry', displayName(entry.name), 'lookup failed');
  }

  /** The first component of `path` that cannot be walked through (for the error message). */
  private culprit(path: string): string {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const fd = this.sys.openat2(this.options.rootFd, prefix, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
      if (fd < 0) return prefix;
      this.sys.close(fd);
    }
    return path;
  }

  private cache(path: string, fd: number): void {
    this.dirs.set(path, fd);
    if (this.dirs.size > DIR_CACHE_SIZE) {
      const [oldest, oldFd] = this.dirs.entries().next().value as [string, number];
      this.dirs.delete(oldest);
      this.sys.close(oldFd);
    }
  }

  private closeDirs(): void {
    for (const fd of this.dirs.values()) this.sys.close(fd);
    this.dirs.clear();
  }

  /** Removes what an entry replaces: a file, or a whole directory tree (never following links). */
  private removeExisting(parent: number, base: string, path: string, entry: TarEntry): void {
    const r = this.sys.unlinkat(parent, base, 0);
    if (r === 0 || r === -ERRNO.ENOENT) return;
    if (r !== -ERRNO.EISDIR) check('unlinkat', r, displayName(path));
    this.forget(path);
    this.removeTree(parent, base, path, entry);
  }

  private removeTree(parent: number, base: string, path: string, entry: TarEntry): void {
    const fd = this.sys.openat2(parent, base, O.RDONLY | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd < 0) this.refuseLookup(fd, entry, path);
    try {
      for (const child of readdirSync(`/proc/self/fd/${fd}`, { encoding: 'latin1' })) {
        const r = this.sys.unlinkat(fd, child, 0);
        if (r === -ERRNO.EISDIR) this.removeTree(fd, child, joinPath(path, child), entry);
        else check('unlinkat', r, displayName(joinPath(path, child)));
      }
    } finally {
      this.sys.close(fd);
    }
    check('unlinkat', this.sys.unlinkat(parent, base, AT.REMOVEDIR), displayName(path));
  }

  /** Drops cached fds and pending metadata of a directory tree that is being removed. */
  private forget(path: string): void {
    for (const [dir, fd] of [...this.dirs]) {
      if (isWithin(dir, path)) {
        this.sys.close(fd);
        this.dirs.delete(dir);
      }
    }
    for (const dir of [...this.deferredDirs.keys()]) if (isWithin(dir, path)) this.deferredDirs.delete(dir);
    for (const whiteout of [...this.whiteouts]) if (isWithin(whiteout, path)) this.whiteouts.delete(whiteout);
  }
}

function depth(path: string): number {
  if (path === '') return 0;
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}

function times(entry: TarEntry): Buffer {
  return timespecs(entry.atime ?? entry.mtime, entry.mtime);
}
