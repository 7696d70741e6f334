import { type Readable, type Writable } from 'node:stream';
import { SyscallError, UsageError, type Logger } from '@koker/core';
import { ERRNO } from '../kernel/at-calls.js';
import { copiesContents, copyTarget, CopyRuleError } from './copy-rules.js';
import { atCalls, lstatIn, openPath, statFd, textPath, type PathBase } from './in-root.js';
import { extractTar } from './tar-in.js';
import { writeTar } from './tar-out.js';
import { readTree } from './tree-reader.js';
import { TreeWriter, type OwnerPolicy } from './tree-writer.js';
import { type XattrPolicy } from './xattr-keep.js';

/** One end of a copy: a path (a byte string) resolved from a base (a container's root, the host). */
export interface CopyEnd {
  readonly base: PathBase;
  readonly path: string;
  /** The error for a path that does not exist there (Docker's wording differs per side). */
  readonly notFound: (path: string) => Error;
}

export interface CopyOptions {
  /** Follow a symlink named as the source (`-L`); else the link itself is copied. */
  readonly followLink: boolean;
  readonly owner: OwnerPolicy;
  /** Device nodes are made only with `-a`. */
  readonly devices: boolean;
  /** Extended attributes kept: all a layer may carry with `-a`, else file capabilities. */
  readonly xattrs: XattrPolicy;
  readonly log: Logger;
}

export interface CopyResult {
  /** Bytes of file content copied (Docker's `Successfully copied`). */
  readonly bytes: number;
}

function openOrFail(end: CopyEnd, path: string, follow: boolean): number {
  const fd = openPath(end.base, path, follow);
  if (fd === -ERRNO.ENOENT || fd === -ERRNO.ENOTDIR) throw end.notFound(textPath(path));
  if (fd < 0) throw new SyscallError('openat2', -fd, textPath(path));
  return fd;
}

/** The source, opened: a descriptor of what is copied, and whether it is a directory. */
function openSource(source: CopyEnd, follow: boolean): { fd: number; isDir: boolean } {
  const fd = openOrFail(source, source.path, follow);
  return { fd, isDir: statFd(fd).isDirectory() };
}

/** Copies a file or tree from one end to a path of the other, with Docker's destination rules. */
export async function copyTree(
  source: CopyEnd,
  destination: CopyEnd,
  options: CopyOptions,
): Promise<CopyResult> {
  const at = atCalls();
  const src = openSource(source, options.followLink);
  try {
    // A destination that is a symlink is followed (in its own root), as Docker does.
    const stats = lstatIn(destination.base, destination.path, true);
    const target = copyTarget(
      { path: source.path, isDir: src.isDir },
      { path: destination.path, exists: stats !== undefined, isDir: stats?.isDirectory() ?? false },
    );
    const destFd = openOrFail(destination, target.dir, true);
    const writer = new TreeWriter(destFd, options);
    try {
      if (!statFd(destFd).isDirectory()) throw new CopyRuleError('extraction point is not a directory');
      options.log.debug(
        { source: textPath(source.path), dir: textPath(target.dir), name: textPath(target.topName) || '.' },
        'Copy tree',
      );
      for await (const entry of readTree(src.fd, { ...target, xattrs: options.xattrs }))
        await writer.write(entry);
      writer.finish();
      options.log.debug({ entries: writer.entries, bytes: writer.bytes }, 'Copied tree');
      return { bytes: writer.bytes };
    } finally {
      writer.close();
      at.close(destFd);
    }
  } finally {
    at.close(src.fd);
  }
}

/** A file or tree as a tar stream (`koker cp CTR:PATH -`): named as the source, or its contents for `SRC/.`. */
export async function copyToTar(
  source: CopyEnd,
  output: Writable,
  options: CopyOptions,
): Promise<CopyResult> {
  const src = openSource(source, options.followLink);
  try {
    const name = source.path.replace(/\/+$/, '').split('/').pop() ?? '';
    const topName = src.isDir && copiesContents(source.path) ? '' : name;
    return { bytes: await writeTar(readTree(src.fd, { topName, xattrs: options.xattrs }), output) };
  } finally {
    atCalls().close(src.fd);
  }
}

/** A tar stream (`koker cp - CTR:DIR`) extracted into a directory that must exist. */
export async function copyFromTar(
  input: Readable,
  destination: CopyEnd,
  options: CopyOptions,
  describe: string,
): Promise<CopyResult> {
  const stats = lstatIn(destination.base, destination.path, true);
  if (!stats?.isDirectory()) throw new UsageError(`destination "${describe}" must be a directory`);
  const destFd = openOrFail(destination, destination.path, true);
  try {
    const writer = new TreeWriter(destFd, options);
    await extractTar(input, writer);
    options.log.debug({ entries: writer.entries, bytes: writer.bytes }, 'Extracted tar stream');
    return { bytes: writer.bytes };
  } finally {
    atCalls().close(destFd);
  }
}
