import { type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { textPath } from './in-root.js';
import { type TreeEntry } from './tree-entry.js';

const TAR_TYPES = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  hardlink: 'link',
  fifo: 'fifo',
  char: 'character-device',
  block: 'block-device',
} as const;

/**
 * Extended attributes as PAX records: star's `SCHILY.xattr.NAME` (what GNU tar and Docker read)
 * for values that are text, libarchive's base64 form for binary ones (file capabilities),
 * since the records are written as UTF-8.
 */
function xattrRecords(xattrs: ReadonlyMap<string, Buffer>): Record<string, string> {
  const records: Record<string, string> = {};
  for (const [name, value] of xattrs) {
    const text = value.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(value) && !text.includes('\n'))
      records[`SCHILY.xattr.${name}`] = text;
    else records[`LIBARCHIVE.xattr.${encodeURIComponent(name)}`] = value.toString('base64');
  }
  return records;
}

/**
 * Writes entries as a tar stream (PAX headers where ustar cannot hold a name) to `output`.
 * Returns the bytes of file content written.
 */
export async function writeTar(entries: AsyncIterable<TreeEntry>, output: Writable): Promise<number> {
  // tar-stream is loaded only by the commands that write tars.
  const tarStream = await import('tar-stream');
  // Bundled, a CommonJS module's exports may sit on the namespace's default.
  const pack = tarStream.pack ?? (tarStream as unknown as { default: typeof tarStream }).default.pack;
  const tar = pack();
  // The reader may go away (`| head`): its error ends the copy instead of going unhandled.
  let failure: Error | undefined;
  const writing = pipeline(tar, output).catch((error: Error) => {
    failure = error;
  });
  const failed = writing.then(() => {
    if (failure) throw failure;
  });
  let bytes = 0;
  try {
    for await (const entry of entries) {
      if (failure) break;
      const header = {
        // Directories end with '/', as GNU tar and Docker write them.
        name: entry.type === 'dir' ? `${textPath(entry.name)}/` : textPath(entry.name),
        type: TAR_TYPES[entry.type],
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        mtime: new Date(entry.mtime * 1000),
        size: entry.type === 'file' ? entry.size : 0,
        ...(entry.linkname !== undefined ? { linkname: textPath(entry.linkname) } : {}),
        ...(entry.devmajor !== undefined ? { devmajor: entry.devmajor, devminor: entry.devminor ?? 0 } : {}),
        ...(entry.xattrs && entry.xattrs.size > 0 ? { pax: xattrRecords(entry.xattrs) } : {}),
      };
      const written = new Promise<void>((resolve, reject) => {
        const sink = tar.entry(header, (error) => (error ? reject(error) : resolve()));
        if (entry.type !== 'file') return;
        void (async () => {
          try {
            for await (const chunk of entry.content ?? []) {
              if (failure) throw failure;
              bytes += chunk.length;
              if (!sink.write(chunk))
                await new Promise<void>((drained) => sink.once('drain', () => drained()));
            }
            // streamx types end() with a required argument; the data is optional at run time.
            sink.end(undefined);
          } catch (error) {
            reject(error as Error);
          }
        })();
      });
      await Promise.race([written, failed]);
    }
    if (!failure) tar.finalize();
  } catch (error) {
    tar.destroy(error as Error);
    throw error;
  }
  await failed;
  return bytes;
}
