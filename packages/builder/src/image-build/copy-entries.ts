import { posix } from 'node:path';
import { DockerfileError } from '../dockerfile/dockerfile-error.js';
import { type FileEntry, type FileSource } from './backend.js';
import { type DockerIgnore } from './dockerignore.js';

/** A name as the kernel takes it: the UTF-8 bytes of the Dockerfile's text, as a latin1 string. */
export function bytes(path: string): string {
  return Buffer.from(path, 'utf8').toString('latin1');
}

export interface CopyPlan {
  /** Where the files come from: the context, or a stage's or image's files. */
  readonly source: FileSource;
  /** Source paths (wildcards allowed), relative to the source's root. */
  readonly sources: readonly string[];
  /** The absolute destination in the image. */
  readonly dest: string;
  /** The destination is a directory: several sources, or a trailing '/'. */
  readonly destIsDir: boolean;
  /** The image's files: what exists at the destination and its parents. */
  readonly image: FileSource;
  /** `--chown`, resolved to numbers; else context files are root's and --from keeps owners. */
  readonly owner?: { readonly uid: number; readonly gid: number };
  readonly keepOwners: boolean;
  /** `--chmod`. */
  readonly mode?: number;
  /** The context's .dockerignore (context sources only). */
  readonly ignore?: DockerIgnore;
  /** Seconds since the epoch, for directories the copy creates. */
  readonly now: number;
}

function globRegex(pattern: string): RegExp {
  let source = '';
  for (const c of pattern) {
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The source paths a COPY names, wildcards expanded (in the last component), sorted. */
export function expandSources(
  source: FileSource,
  sources: readonly string[],
  ignore?: DockerIgnore,
): string[] {
  const paths: string[] = [];
  for (const raw of sources) {
    const clean = posix.normalize(`/${raw}`).slice(1);
    if (!/[*?]/.test(clean)) {
      if (!source.stat(bytes(clean), true) || (ignore && clean !== '' && ignore.excludes(clean)))
        throw new DockerfileError(
          `COPY failed: file not found in build context or excluded by .dockerignore: stat ${raw}: file does not exist`,
        );
      paths.push(clean);
      continue;
    }
    const dir = posix.dirname(clean);
    const base = globRegex(posix.basename(clean));
    const parent = dir === '.' ? '' : dir;
    const matches = source
      .readdir(bytes(parent))
      .map((name) => Buffer.from(name, 'latin1').toString('utf8'))
      .filter((name) => base.test(name))
      .map((name) => (parent === '' ? name : `${parent}/${name}`))
      .filter((path) => !ignore?.excludes(path));
    if (matches.length === 0)
      throw new DockerfileError(`COPY failed: no source files were specified (${raw})`);
    paths.push(...matches);
  }
  return paths;
}

/**
 * The entries of the layer a COPY (or ADD of plain files) makes: the destination's parent
 * directories first (as the image has them, or new: 0755, root), then each source, a directory's
 * contents going into the destination, a file to the destination (or into it when it is a
 * directory). Owners: `--chown`, else root for context files, else kept; `--chmod` on everything
 * copied. Context paths .dockerignore excludes are left out.
 */
export async function* copyEntries(plan: CopyPlan): AsyncGenerator<FileEntry> {
  const paths = expandSources(plan.source, plan.sources, plan.ignore);
  const destIsDir = plan.destIsDir || paths.length > 1;
  const dest = posix.normalize(plan.dest).replace(/^\/+/, '').replace(/\/+$/, '');
  const made = new Set<string>();
  const dirEntry = (name: string, mode = 0o755): FileEntry => {
    const existing = plan.image.stat(bytes(name), true);
    if (existing?.isDirectory()) {
      return {
        name: bytes(name),
        type: 'dir',
        mode: existing.mode & 0o7777,
        uid: existing.uid,
        gid: existing.gid,
        mtime: Math.floor(existing.mtimeMs / 1000),
        size: 0,
      };
    }
    return {
      name: bytes(name),
      type: 'dir',
      mode,
      uid: plan.owner?.uid ?? 0,
      gid: plan.owner?.gid ?? 0,
      mtime: plan.now,
      size: 0,
    };
  };
  function* parents(target: string): Generator<FileEntry> {
    const parts = target.split('/').filter(Boolean);
    for (let n = 1; n < parts.length; n++) {
      const name = parts.slice(0, n).join('/');
      if (made.has(name)) continue;
      made.add(name);
      yield dirEntry(name);
    }
  }
  const adjust = (entry: FileEntry): FileEntry => {
    const owner = plan.owner ?? (plan.keepOwners ? undefined : { uid: 0, gid: 0 });
    return {
      ...entry,
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      ...(plan.mode !== undefined && entry.type !== 'symlink' ? { mode: plan.mode } : {}),
    };
  };
  for (const path of paths) {
    const stats = plan.source.stat(bytes(path), true);
    if (!stats) continue;
    if (stats.isDirectory()) {
      yield* parents(dest);
      if (dest !== '' && !made.has(dest)) {
        made.add(dest);
        const existing = plan.image.stat(bytes(dest), true);
        yield existing?.isDirectory()
          ? dirEntry(dest)
          : adjust({ ...dirEntry(dest, stats.mode & 0o7777), mtime: Math.floor(stats.mtimeMs / 1000) });
      }
      for await (const entry of plan.source.entries(bytes(path), bytes(dest), true)) {
        if (entry.name === bytes(dest)) continue;
        const relative = Buffer.from(entry.name.slice(bytes(dest).length + 1), 'latin1').toString('utf8');
        if (plan.ignore && plan.ignore.excludes(path === '' ? relative : `${path}/${relative}`)) continue;
        yield adjust(entry);
      }
      continue;
    }
    const target = destIsDir
      ? dest === ''
        ? posix.basename(path)
        : `${dest}/${posix.basename(path)}`
      : dest;
    if (target === '') throw new DockerfileError(`cannot copy ${path} onto /`);
    // The destination directory and its parents, once each.
    yield* parents(target);
    for await (const entry of plan.source.entries(bytes(path), bytes(target), true)) yield adjust(entry);
  }
}
