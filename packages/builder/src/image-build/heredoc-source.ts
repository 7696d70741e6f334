import { type Stats } from 'node:fs';
import { type FileEntry, type FileSource } from './backend.js';

/**
 * `COPY <<EOF /dest` (and ADD): the heredoc bodies as files of a source of their own, named
 * after their delimiters, root's, mode 0644 (`--chmod` and `--chown` apply as for any file).
 */
export function heredocSource(files: ReadonlyMap<string, string>, now: number): FileSource {
  const stat = (path: string): Stats | undefined => {
    const content = files.get(path);
    if (content === undefined) return undefined;
    const isFile = () => true;
    const no = () => false;
    return {
      isFile,
      isDirectory: no,
      isSymbolicLink: no,
      mode: 0o100644,
      uid: 0,
      gid: 0,
      size: Buffer.byteLength(content),
      mtimeMs: now * 1000,
    } as unknown as Stats;
  };
  return {
    stat,
    readdir: () => [...files.keys()].sort(),
    // eslint-disable-next-line @typescript-eslint/require-await
    async *entries(path: string, topName: string): AsyncGenerator<FileEntry> {
      const content = Buffer.from(files.get(path) ?? '', 'utf8');
      yield {
        name: topName,
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: now,
        size: content.length,
        content: (async function* () {
          yield content;
        })(),
      };
    },
    readFile: (path) => Buffer.from(files.get(path) ?? '', 'utf8'),
    close: () => undefined,
  };
}
