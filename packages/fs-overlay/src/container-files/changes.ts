import { fstatSync, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { O, RESOLVE_SAFE, type AtCalls } from '../kernel/at-calls.js';
import { resolveMerged } from '../overlay/merged-read.js';
import { atCalls } from './in-root.js';

export type ChangeKind = 'A' | 'C' | 'D';

/** One line of `koker diff`: `A /path` added, `C /path` changed, `D /path` deleted. */
export interface Change {
  readonly kind: ChangeKind;
  /** The path in the container (a byte string). */
  readonly path: string;
}

export interface ChangesOptions {
  /**
   * Paths the runtime itself adds as mount targets (/etc/hosts, /proc...): not the container's
   * changes (Docker makes them in a layer of its own, below the container's).
   */
  readonly mountTargets?: readonly string[];
}

const OPAQUE = 'trusted.overlay.opaque';

interface Walk {
  readonly at: AtCalls;
  readonly lowers: readonly string[];
  readonly skip: ReadonlySet<string>;
  readonly changes: Change[];
  /** Directories recorded, or implied by a change beneath them. */
  readonly changedDirs: Set<string>;
}

/**
 * A container's changes from its overlay upper directory, with Docker's rules (its overlay
 * differ), in path order:
 * - a whiteout (character device 0/0) is `D`; a directory made opaque (deleted and made again)
 *   that the image has is `D`, and what it holds now is `A`;
 * - anything else is `C` when the image (`lowers`, topmost first, resolved as overlayfs would)
 *   has the path, else `A`; a directory whose owner and mode match the image's is not listed
 *   by itself (it is only copied up);
 * - the parent of an `A` or `D` is listed as `C` before it, once.
 * The upper directory is walked through descriptors that follow no symlink, so a running
 * container swapping names for links cannot make it list a host directory.
 */
export function overlayChanges(
  upper: string,
  lowers: readonly string[],
  options: ChangesOptions = {},
): Change[] {
  const at = atCalls();
  const walk: Walk = {
    at,
    lowers,
    skip: new Set(options.mountTargets ?? []),
    changes: [],
    changedDirs: new Set(),
  };
  const fd = at.openat2(-100, upper, O.RDONLY | O.DIRECTORY, 0, 0);
  if (fd < 0) return walk.changes;
  try {
    walkDir(walk, fd, '', false);
  } finally {
    at.close(fd);
  }
  return walk.changes;
}

function lowerStats(walk: Walk, path: string): Stats | undefined {
  const found = resolveMerged(walk.lowers, path);
  if (found === undefined) return undefined;
  try {
    return lstatSync(found);
  } catch {
    return undefined;
  }
}

function record(walk: Walk, kind: ChangeKind, path: string, isDir: boolean): void {
  if (isDir) walk.changedDirs.add(path);
  if (kind !== 'C') {
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (parent !== '' && !walk.changedDirs.has(parent)) {
      walk.changes.push({ kind: 'C', path: parent });
      walk.changedDirs.add(parent);
    }
  }
  walk.changes.push({ kind, path });
}

function walkDir(walk: Walk, dirFd: number, dir: string, belowNew: boolean): void {
  const { at } = walk;
  const names = readdirSync(`/proc/self/fd/${dirFd}`, { encoding: 'buffer' })
    .map((name) => name.toString('latin1'))
    .sort();
  for (const name of names) {
    const path = `${dir}/${name}`;
    const fd = at.openat2(dirFd, name, O.PATH | O.NOFOLLOW, 0, RESOLVE_SAFE);
    if (fd < 0) continue; // gone meanwhile
    try {
      const stats = fstatSync(fd);
      if (stats.isCharacterDevice() && stats.rdev === 0) {
        record(walk, 'D', path, false);
        continue;
      }
      const lower = belowNew ? undefined : lowerStats(walk, path);
      if (!lower && walk.skip.has(path)) continue;
      const isDir = stats.isDirectory();
      let opaque = false;
      let childFd = -1;
      if (isDir) {
        childFd = at.openat2(dirFd, name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW, 0, RESOLVE_SAFE);
        if (childFd < 0) continue;
        opaque = at.fgetxattr(childFd, OPAQUE)?.toString() === 'y';
      }
      try {
        if (!lower) record(walk, 'A', path, isDir);
        else if (isDir && opaque) record(walk, 'D', path, true);
        else if (
          !isDir ||
          !lower.isDirectory() ||
          lower.mode !== stats.mode ||
          lower.uid !== stats.uid ||
          lower.gid !== stats.gid
        )
          record(walk, 'C', path, isDir);
        if (isDir) walkDir(walk, childFd, path, belowNew || !lower || opaque);
      } finally {
        if (childFd >= 0) at.close(childFd);
      }
    } finally {
      at.close(fd);
    }
  }
}

/** One name of the image's merged view: the layer entry that decides it. */
interface ImageEntry {
  readonly path: string;
  readonly stats: Stats;
}

/** Paths here are byte strings (latin1), as the container's names are. */
const bytes = (path: string) => Buffer.from(path, 'latin1');

function lstatOrNone(path: string): Stats | undefined {
  try {
    return lstatSync(bytes(path));
  } catch {
    return undefined;
  }
}

/**
 * The names of one directory of the image, merged from its layer directories (`dirs`, topmost
 * first, each the same directory in one layer) as overlayfs merges them: the first layer holding
 * a name decides it, a whiteout hides it, an opaque directory hides the layers below.
 */
function imageEntries(walk: Walk, dirs: readonly string[]): Map<string, ImageEntry | null> {
  const entries = new Map<string, ImageEntry | null>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(bytes(dir), { encoding: 'buffer' }).map((n) => n.toString('latin1'));
    } catch {
      continue;
    }
    for (const name of names) {
      if (entries.has(name)) continue;
      const path = `${dir}/${name}`;
      const stats = lstatOrNone(path);
      if (!stats) continue;
      entries.set(name, stats.isCharacterDevice() && stats.rdev === 0 ? null : { path, stats });
    }
    const fd = walk.at.openat2(-100, dir, O.RDONLY | O.DIRECTORY, 0, 0);
    if (fd >= 0) {
      const opaque = walk.at.fgetxattr(fd, OPAQUE)?.toString() === 'y';
      walk.at.close(fd);
      if (opaque) break;
    }
  }
  return entries;
}

/** Whether a file of the container differs from the image's (Docker's naive differ's checks). */
function differs(stats: Stats, image: Stats, link: () => [string, string]): boolean {
  if (
    stats.mode !== image.mode ||
    stats.uid !== image.uid ||
    stats.gid !== image.gid ||
    stats.rdev !== image.rdev
  )
    return true;
  if (stats.isDirectory()) return false;
  if (stats.size !== image.size || Math.floor(stats.mtimeMs / 1000) !== Math.floor(image.mtimeMs / 1000))
    return true;
  if (stats.isSymbolicLink()) {
    const [mine, theirs] = link();
    return mine !== theirs;
  }
  return false;
}

/**
 * A container's changes when its root is a full copy of its image (the copy driver): the copy
 * compared with the image's layers, name by name, with the overlay rules' output (`A`, `C`, `D`;
 * a deleted directory as one line, parents of additions and deletions as `C`). The copy is walked
 * through descriptors that follow no symlink.
 */
export function copyChanges(
  rootfs: string,
  lowers: readonly string[],
  options: ChangesOptions = {},
): Change[] {
  const at = atCalls();
  const walk: Walk = {
    at,
    lowers,
    skip: new Set(options.mountTargets ?? []),
    changes: [],
    changedDirs: new Set(),
  };
  const fd = at.openat2(-100, rootfs, O.RDONLY | O.DIRECTORY, 0, 0);
  if (fd < 0) return walk.changes;
  try {
    compareDir(
      walk,
      fd,
      '',
      lowers.map((dir) => Buffer.from(dir).toString('latin1')),
    );
  } finally {
    at.close(fd);
  }
  return walk.changes;
}

function compareDir(walk: Walk, dirFd: number, dir: string, imageDirs: readonly string[]): void {
  const { at } = walk;
  const image = imageEntries(walk, imageDirs);
  const names = new Set(
    readdirSync(`/proc/self/fd/${dirFd}`, { encoding: 'buffer' }).map((name) => name.toString('latin1')),
  );
  for (const name of [...new Set([...names, ...image.keys()])].sort()) {
    const path = `${dir}/${name}`;
    const theirs = image.get(name) ?? undefined;
    if (!names.has(name)) {
      if (theirs) record(walk, 'D', path, theirs.stats.isDirectory());
      continue;
    }
    const fd = at.openat2(dirFd, name, O.PATH | O.NOFOLLOW, 0, RESOLVE_SAFE);
    if (fd < 0) continue; // gone meanwhile
    try {
      const stats = fstatSync(fd);
      const isDir = stats.isDirectory();
      if (!theirs && walk.skip.has(path)) continue;
      if (!theirs) record(walk, 'A', path, isDir);
      else if (
        isDir !== theirs.stats.isDirectory() ||
        differs(stats, theirs.stats, () => [
          at.readlinkat(fd, ''),
          readlinkSync(bytes(theirs.path), { encoding: 'buffer' }).toString('latin1'),
        ])
      )
        record(walk, 'C', path, isDir);
      if (!isDir) continue;
      // Below a directory the image has too: the same directory of each layer, until one is not.
      const below: string[] = [];
      if (theirs?.stats.isDirectory()) {
        for (const layerDir of imageDirs) {
          const candidate = lstatOrNone(`${layerDir}/${name}`);
          if (!candidate) continue;
          if (!candidate.isDirectory()) break;
          below.push(`${layerDir}/${name}`);
        }
      }
      const childFd = at.openat2(dirFd, name, O.RDONLY | O.DIRECTORY | O.NOFOLLOW, 0, RESOLVE_SAFE);
      if (childFd < 0) continue;
      try {
        compareDir(walk, childFd, path, below);
      } finally {
        at.close(childFd);
      }
    } finally {
      at.close(fd);
    }
  }
}
