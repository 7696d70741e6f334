import { writeSync } from 'node:fs';
import { InvalidValueError, SyscallError, type Logger } from '@koker/core';
import { AT, check, ERRNO, makedev, O, RESOLVE_SAFE, S, timespecs } from '../kernel/at-calls.js';
import { atCalls, statFd, textPath } from './in-root.js';
import { type EntrySink } from '../tar/tar-entry.js';
import { type TreeEntry } from './tree-entry.js';
import { keepsXattr, type XattrPolicy } from './xattr-keep.js';

/** Who owns what is written: the entries' own owners (`cp -a`), or one user and group. */
export type OwnerPolicy = { readonly keep: true } | { readonly keep: false; uid: number; gid: number };

export interface TreeWriterOptions {
  readonly owner: OwnerPolicy;
  /** Character and block devices are made only when asked (`cp -a`): else refused. */
  readonly devices: boolean;
  /** The extended attributes written (those of a tar stream are filtered by it too). */
  readonly xattrs: XattrPolicy;
  readonly log: Logger;
}

/**
 * Writes entries beneath a directory descriptor. Every name is resolved from that descriptor
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS and every leaf made with an *at call that does not
 * follow it: a symlink (one the tree already held, one an earlier entry made, or one swapped in
 * meanwhile) is never written through, so nothing outside the directory can be reached. As
 * Docker's cp: an existing non-directory is replaced, an existing directory is merged into, a
 * directory never replaces a non-directory nor the reverse. Directories get their metadata
 * after their contents.
 */
export class TreeWriter {
  private readonly at = atCalls();
  private readonly dirs: TreeEntry[] = [];
  private cached: { name: string; fd: number } | undefined;
  /** Bytes and entries written, for `Successfully copied`. */
  bytes = 0;
  entries = 0;

  constructor(
    private readonly destFd: number,
    private readonly options: TreeWriterOptions,
  ) {}

  /** Writes an entry and its content (from a tree reader). */
  async write(entry: TreeEntry): Promise<void> {
    const sink = this.open(entry);
    if (!sink) return;
    try {
      for await (const chunk of entry.content ?? []) sink.write(chunk);
    } finally {
      sink.end();
    }
  }

  /**
   * Starts an entry: makes it, and for a file returns where its content goes (written
   * synchronously, as the tar parser pushes it); the file gets its metadata at `end`.
   */
  open(entry: TreeEntry): EntrySink | undefined {
    if (entry.name === '') throw new InvalidValueError('entry name', entry.name, 'empty');
    const slash = entry.name.lastIndexOf('/');
    const parentName = slash < 0 ? '' : entry.name.slice(0, slash);
    const leaf = entry.name.slice(slash + 1);
    const parent = this.parentFd(parentName);
    const existing = this.at.openat2(parent, leaf, O.PATH | O.NOFOLLOW, 0, RESOLVE_SAFE);
    if (existing >= 0) {
      const isDir = statFd(existing).isDirectory();
      this.at.close(existing);
      if (entry.type === 'dir') {
        if (!isDir)
          throw this.conflict(`cannot overwrite non-directory "${textPath(entry.name)}" with directory`);
        this.dirs.push(entry);
        this.entries++;
        return undefined;
      }
      if (isDir)
        throw this.conflict(`cannot overwrite directory "${textPath(entry.name)}" with non-directory`);
      check('unlinkat', this.at.unlinkat(parent, leaf), textPath(entry.name));
    }
    this.entries++;
    switch (entry.type) {
      case 'dir':
        check('mkdirat', this.at.mkdirat(parent, leaf, 0o700), textPath(entry.name));
        this.dirs.push(entry);
        return undefined;
      case 'file':
        return this.openFile(parent, leaf, entry);
      case 'symlink':
        check('symlinkat', this.at.symlinkat(entry.linkname ?? '', parent, leaf), textPath(entry.name));
        this.metadataAt(parent, leaf, entry, false);
        return undefined;
      case 'hardlink':
        this.link(parent, leaf, entry);
        return undefined;
      case 'fifo':
      case 'char':
      case 'block': {
        if (entry.type !== 'fifo' && !this.options.devices)
          throw new InvalidValueError('entry', textPath(entry.name), 'a device node is copied only with -a');
        const kind = entry.type === 'fifo' ? S.IFIFO : entry.type === 'char' ? S.IFCHR : S.IFBLK;
        const dev = makedev(entry.devmajor ?? 0, entry.devminor ?? 0);
        check('mknodat', this.at.mknodat(parent, leaf, kind | 0o600, dev), textPath(entry.name));
        this.metadataAt(parent, leaf, entry, true);
        return undefined;
      }
    }
  }

  /** Metadata of the directories, deepest first, after everything they hold was written. */
  finish(): void {
    this.dropCache();
    for (const dir of this.dirs.reverse()) {
      const fd = this.at.openat2(this.destFd, dir.name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW, 0, RESOLVE_SAFE);
      if (fd < 0) throw new SyscallError('openat2', -fd, textPath(dir.name));
      try {
        this.ownAndStamp(fd, dir);
      } finally {
        this.at.close(fd);
      }
    }
    this.dirs.length = 0;
  }

  /** Closes what is cached; call when giving up too. */
  close(): void {
    this.dropCache();
  }

  private conflict(message: string): InvalidValueError {
    return new InvalidValueError('copy', message, 'the destination holds another kind of file there');
  }

  private openFile(parent: number, leaf: string, entry: TreeEntry): EntrySink {
    const fd = check(
      'openat2',
      this.at.openat2(parent, leaf, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW, 0o600, RESOLVE_SAFE),
      textPath(entry.name),
    );
    let open = true;
    return {
      write: (chunk) => {
        let offset = 0;
        while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
        this.bytes += chunk.length;
      },
      end: () => {
        if (!open) return;
        open = false;
        try {
          this.ownAndStamp(fd, entry);
        } finally {
          this.at.close(fd);
        }
      },
    };
  }

  /** A hardlink to an entry written before, both resolved beneath the destination. */
  private link(parent: number, leaf: string, entry: TreeEntry): void {
    const target = entry.linkname ?? '';
    const slash = target.lastIndexOf('/');
    const targetParent = this.at.openat2(
      this.destFd,
      slash < 0 ? '.' : target.slice(0, slash),
      O.PATH | O.DIRECTORY,
      0,
      RESOLVE_SAFE,
    );
    if (targetParent < 0) throw new SyscallError('openat2', -targetParent, textPath(target));
    try {
      // linkat without AT_SYMLINK_FOLLOW: a symlink is linked as itself, never its target.
      check(
        'linkat',
        this.at.linkat(targetParent, target.slice(slash + 1), parent, leaf, 0),
        `${textPath(entry.name)} -> ${textPath(target)}`,
      );
    } finally {
      this.at.close(targetParent);
    }
  }

  private ownerOf(entry: TreeEntry): { uid: number; gid: number } {
    const { owner } = this.options;
    return owner.keep ? { uid: entry.uid, gid: entry.gid } : { uid: owner.uid, gid: owner.gid };
  }

  /**
   * Owner, then mode (fchown clears setuid bits and file capabilities), then extended
   * attributes, then times, on an open file or directory.
   */
  private ownAndStamp(fd: number, entry: TreeEntry): void {
    const { uid, gid } = this.ownerOf(entry);
    check('fchown', this.at.fchown(fd, uid, gid), textPath(entry.name));
    check('fchmod', this.at.fchmod(fd, entry.mode), textPath(entry.name));
    for (const [name, value] of entry.xattrs ?? []) {
      if (!keepsXattr(this.options.xattrs, name)) continue;
      const set = this.at.fsetxattr(fd, name, value);
      // A destination filesystem without them (Docker ignores that too): the copy goes on.
      if (set === -ERRNO.EOPNOTSUPP) {
        this.options.log.debug(
          { path: textPath(entry.name), xattr: name },
          'Extended attribute not supported',
        );
        continue;
      }
      check('fsetxattr', set, `${textPath(entry.name)}, ${name}`);
    }
    const time = { sec: entry.mtime, nsec: 0 };
    check('futimens', this.at.futimens(fd, timespecs(time, time)), textPath(entry.name));
  }

  /** The same for what cannot be opened (symlinks, FIFOs, devices), never following it. */
  private metadataAt(parent: number, leaf: string, entry: TreeEntry, chmod: boolean): void {
    const { uid, gid } = this.ownerOf(entry);
    check('fchownat', this.at.fchownat(parent, leaf, uid, gid, AT.SYMLINK_NOFOLLOW), textPath(entry.name));
    if (chmod) check('fchmodat', this.at.fchmodat(parent, leaf, entry.mode), textPath(entry.name));
    const time = { sec: entry.mtime, nsec: 0 };
    check(
      'utimensat',
      this.at.utimensat(parent, leaf, timespecs(time, time), AT.SYMLINK_NOFOLLOW),
      textPath(entry.name),
    );
  }

  /**
   * The directory an entry goes in, opened beneath the destination through no symlink; missing
   * directories on the way are made (as tar does for an archive without them).
   */
  private parentFd(name: string): number {
    if (name === '') return this.destFd;
    if (this.cached?.name === name) return this.cached.fd;
    this.dropCache();
    let fd = this.at.openat2(this.destFd, name, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
    if (fd === -ERRNO.ENOENT) {
      let current = this.destFd;
      for (const part of name.split('/')) {
        let next = this.at.openat2(current, part, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
        if (next === -ERRNO.ENOENT) {
          const made = this.at.mkdirat(current, part, 0o755);
          if (made < 0 && made !== -ERRNO.EEXIST) check('mkdirat', made, textPath(name));
          next = this.at.openat2(current, part, O.PATH | O.DIRECTORY, 0, RESOLVE_SAFE);
        }
        if (current !== this.destFd) this.at.close(current);
        if (next < 0) throw new SyscallError('openat2', -next, textPath(name));
        current = next;
      }
      fd = current;
    }
    if (fd < 0) throw new SyscallError('openat2', -fd, textPath(name));
    this.cached = { name, fd };
    return fd;
  }

  private dropCache(): void {
    if (this.cached) this.at.close(this.cached.fd);
    this.cached = undefined;
  }
}
