import { createHash } from 'node:crypto';
import { type FileEntry } from './backend.js';

/**
 * A digest of entries for a step's cache key: names, types, modes, owners, sizes, link targets
 * and contents, not times (a touched file with the same bytes keeps its step cached).
 */
export async function entriesDigest(entries: AsyncIterable<FileEntry>): Promise<string> {
  const hash = createHash('sha256');
  for await (const entry of entries) {
    hash.update(
      JSON.stringify([
        entry.name,
        entry.type,
        entry.mode,
        entry.uid,
        entry.gid,
        entry.size,
        entry.linkname ?? '',
      ]),
    );
    for await (const chunk of entry.content ?? []) hash.update(chunk);
  }
  return hash.digest('hex');
}
