/** What a tar entry is, once its PAX and GNU extension headers are folded in. */
export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface Timestamp {
  readonly sec: number;
  readonly nsec: number;
}

/**
 * One entry. Names are byte strings (latin1: one char per byte) because tar names are bytes,
 * not necessarily UTF-8; they become bytes again at the system call.
 */
export interface TarEntry {
  readonly type: TarEntryType;
  readonly name: string;
  readonly linkname: string;
  /** Permission bits including setuid, setgid and sticky (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: Timestamp;
  readonly atime: Timestamp | undefined;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes from PAX records (SCHILY.xattr.* or LIBARCHIVE.xattr.*). */
  readonly xattrs: ReadonlyMap<string, Buffer>;
}

/** Where an entry's data goes while it streams in. */
export interface EntrySink {
  write(chunk: Buffer): void;
  end(): void;
}

/** Handles parsed entries; returns a sink for entries that carry data (regular files). */
export interface EntryHandler {
  entry(entry: TarEntry): EntrySink | undefined;
}

/** A tar stream that cannot be parsed, or breaks a limit: names the entry when it can. */
export class TarFormatError extends Error {
  constructor(
    message: string,
    readonly entryName?: string,
  ) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/** The printable form of a byte-string name, for logs and errors. */
export function displayName(name: string): string {
  return Buffer.from(name, 'latin1').toString('utf8');
}
