import { closeSync, lstatSync, openSync, readSync, readdirSync, constants, type BigIntStats } from 'node:fs';
import { AtCalls } from '../kernel/at-calls.js';
import { OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from '../apply/layer-writer.js';
import { type EntryHandler, type TarEntry, type TarEntryType, type Timestamp } from '../tar/tar-entry.js';

const COPY_BUFFER = 1024 * 1024;
const NS = 1_000_000_000n;

function timestamp(ns: bigint): Timestamp {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

function typeOf(st: BigIntStats): TarEntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets are not layer content
}

/**
 * Replays an applied layer directory (overlayfs form) as tar entries into a handler: whiteout
 * devices become `.wh.` entries, the opaque xattr an opaque marker, shared inodes hardlinks.
 * Names are byte strings (latin1), as the applier's; files are read through O_NOFOLLOW.
 */
export function replayLayer(layerDir: string, handler: EntryHandler): void {
  const sys = new AtCalls();
  const seen = new Map<string, string>();
  const buffer = Buffer.allocUnsafe(COPY_BUFFER);

  const visit = (relative: string): void => {
    const absolute = relative === '' ? layerDir : `${layerDir}/${relative}`;
    const bytes = Buffer.from(absolute, 'latin1');
    const st = lstatSync(bytes, { bigint: true });
    const type = typeOf(st);
    if (type === undefined) return;
    const slash = relative.lastIndexOf('/');
    const dir = slash < 0 ? '' : relative.slice(0, slash);
    const base = relative.slice(slash + 1);
    if (type === 'char' && st.rdev === 0n && relative !== '') {
      handler.entry(meta(`${dir ? `${dir}/` : ''}${WHITEOUT_PREFIX}${base}`, 'file', st, new Map()));
      return;
    }
    const xattrs = new Map<string, Buffer>();
    for (const name of sys.llistxattr(absolute)) {
      if (name.startsWith('trusted.overlay.')) continue;
      const value = sys.lgetxattr(absolute, name);
      if (value) xattrs.set(name, Buffer.from(value));
    }
    const key = `${st.dev}:${st.ino}`;
    if (type !== 'directory' && st.nlink > 1n) {
      const first = seen.get(key);
      if (first !== undefined) {
        handler.entry({ ...meta(relative, 'hardlink', st, xattrs), linkname: first });
        return;
      }
      seen.set(key, relative);
    }
    const entry = meta(relative, type, st, xattrs);
    if (type === 'symlink') {
      handler.entry({ ...entry, linkname: sys.readlinkat(-100, absolute) });
      return;
    }
    const sink = handler.entry(entry);
    if (type === 'file' && sink) {
      const fd = openSync(bytes, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        for (;;) {
          const n = readSync(fd, buffer, 0, buffer.length, null);
          if (n === 0) break;
          sink.write(buffer.subarray(0, n));
        }
      } finally {
        closeSync(fd);
      }
      sink.end();
    }
    if (type === 'directory') {
      if (sys.lgetxattr(absolute, OPAQUE_XATTR)?.toString() === 'y') {
        handler.entry(meta(relative ? `${relative}/${OPAQUE_MARKER}` : OPAQUE_MARKER, 'file', st, new Map()));
      }
      for (const child of readdirSync(bytes, { encoding: 'latin1' }).sort()) {
        visit(relative ? `${relative}/${child}` : child);
      }
    }
  };
  visit('');
}

function meta(name: string, type: TarEntryType, st: BigIntStats, xattrs: Map<string, Buffer>): TarEntry {
  const rdev = st.rdev;
  return {
    type,
    name,
    linkname: '',
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtime: timestamp(st.mtimeNs),
    atime: timestamp(st.atimeNs),
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
    xattrs,
  };
}
