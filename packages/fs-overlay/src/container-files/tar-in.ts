import { type Readable } from 'node:stream';
import { InvalidValueError } from '@koker/core';
import { type LayerLimits } from '@koker/core';
import { displayName, TarFormatError, type EntrySink, type TarEntry } from '../tar/tar-entry.js';
import { TarParser } from '../tar/tar-parser.js';
import { tarChunks } from './tar-decompress.js';
import { cleanEntryName, type TreeEntry } from './tree-entry.js';
import { type TreeWriter } from './tree-writer.js';

/** Bounds of a tar read from stdin (`koker cp - CTR:DIR`), as the layer applier's defaults. */
export const TAR_INPUT_LIMITS: LayerLimits = { maxBytes: 64 * 1024 ** 3, maxEntries: 4_000_000 };

function treeEntry(entry: TarEntry, name: string): TreeEntry {
  const type = entry.type === 'directory' ? 'dir' : entry.type;
  const base = {
    name,
    type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    mtime: entry.mtime.sec,
    size: entry.type === 'file' ? entry.size : 0,
    ...(entry.xattrs.size > 0 ? { xattrs: entry.xattrs } : {}),
  } as const;
  if (type === 'symlink') return { ...base, linkname: entry.linkname };
  if (type === 'hardlink') {
    const target = cleanEntryName(entry.linkname);
    if (target === undefined || target === '')
      throw new InvalidValueError(
        'tar entry',
        displayName(entry.name),
        'its hardlink target leaves the archive',
      );
    return { ...base, linkname: target };
  }
  if (type === 'char' || type === 'block')
    return { ...base, devmajor: entry.devmajor, devminor: entry.devminor };
  return base;
}

/**
 * Extracts a tar stream (plain, gzip, zstd, bzip2 or xz) into a TreeWriter, with the layer applier's parser and rules:
 * leading '/' confined, '..' refused (names and hardlink targets), the archive's own root
 * ('.', '/') skipped, uncompressed bytes and entries bounded. Returns the entries written.
 */
export async function extractTar(
  input: Readable,
  writer: TreeWriter,
  limits: LayerLimits = TAR_INPUT_LIMITS,
): Promise<number> {
  let entries = 0;
  let bytes = 0;
  const parser = new TarParser({
    entry(entry: TarEntry): EntrySink | undefined {
      if (++entries > limits.maxEntries)
        throw new TarFormatError(`more than ${limits.maxEntries} entries`, entry.name);
      const name = cleanEntryName(entry.name);
      if (name === undefined)
        throw new InvalidValueError(
          'tar entry',
          displayName(entry.name),
          "a '..' component or a NUL leaves the destination",
        );
      if (name === '') return undefined;
      return writer.open(treeEntry(entry, name));
    },
  });
  try {
    // Compressed archives too, recognised by their first bytes, as Docker takes them.
    const chunks = await tarChunks(input as AsyncIterable<Buffer>);
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) throw new TarFormatError(`more than ${limits.maxBytes} bytes`);
      if (!parser.ended) parser.write(chunk);
    }
    parser.end();
    writer.finish();
  } catch (error) {
    if (error instanceof TarFormatError)
      throw new InvalidValueError(
        'tar stream',
        error.entryName ? displayName(error.entryName) : '-',
        error.message,
      );
    throw error;
  } finally {
    writer.close();
  }
  return entries;
}
