/** The kinds of entry a file tree or a tar stream holds. */
export type TreeEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'char' | 'block';

/**
 * One entry of a tree being copied, from a directory, a container or a tar stream, to a
 * directory or a tar stream. `name` is relative ('a/b', no leading '/', no '..').
 */
export interface TreeEntry {
  readonly name: string;
  readonly type: TreeEntryType;
  /** Permission bits with setuid, setgid and sticky (0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** Bytes of content (files). */
  readonly size: number;
  /** A symlink's target, or the entry name a hardlink links to. */
  readonly linkname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extended attributes kept (files and directories), by name. */
  readonly xattrs?: ReadonlyMap<string, Buffer>;
  /** The content of a file, in chunks; read before the next entry is asked for. */
  readonly content?: AsyncIterable<Buffer>;
}

/** The mode bits of st_mode kept on copies. */
export const PERMISSION_BITS = 0o7777;

/**
 * An entry name made safe to join under a destination: leading '/' and './' dropped, empty
 * and '.' components removed; '..' or a NUL is refused (undefined). '' is the root itself.
 */
export function cleanEntryName(name: string): string | undefined {
  if (name.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}
