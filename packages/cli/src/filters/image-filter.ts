import { InvalidValueError, type ImageRecord } from '@koker/core';
import { anyValue, booleanFilter, matchesLabels, parseFilters } from './filter-args.js';

export const IMAGE_FILTERS = ['before', 'dangling', 'label', 'reference', 'since'] as const;

/** One row of `images`: a repository and tag of an image (`<none>` when untagged). */
export interface ImageFilterRow {
  readonly repository: string;
  readonly tag: string;
  readonly image: ImageRecord;
}

/**
 * `path.Match` as Docker's reference filter uses it: `*` and `?` within a path segment (never
 * across `/`), `[...]` classes.
 */
export function globMatch(pattern: string, text: string): boolean {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      source += `[${pattern
        .slice(i + 1, end)
        .replace(/^\^/, '^')
        .replace(/\\/g, '\\\\')}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`${source}$`).test(text);
  } catch {
    return false;
  }
}

/** `reference=busybox`, `reference=busy*:1.*`, `reference=localhost:5000/*`: against name and name:tag. */
function matchesReference(pattern: string, row: ImageFilterRow): boolean {
  if (row.repository === '<none>') return false;
  const names = [row.repository, `${row.repository}:${row.tag}`];
  const short = row.repository.replace(/^docker\.io\//, '').replace(/^library\//, '');
  names.push(short, `${short}:${row.tag}`);
  return names.some((name) => globMatch(pattern, name));
}

/** The test for `images --filter`; `find` resolves before/since to an image. */
export async function imageFilter(
  flags: readonly string[] | undefined,
  find: (reference: string) => Promise<ImageRecord | undefined>,
): Promise<(row: ImageFilterRow) => boolean> {
  const filters = parseFilters(flags, IMAGE_FILTERS);
  const dangling = filters.get('dangling')?.map((v) => booleanFilter('dangling', v));
  const time = async (key: string) => {
    const values = filters.get(key);
    if (!values) return undefined;
    return Promise.all(
      values.map(async (value) => {
        const image = await find(value);
        if (!image) throw new InvalidValueError('filter', `${key}=${value}`, `no such image: ${value}`);
        return Date.parse(image.created ?? image.stored);
      }),
    );
  };
  const before = await time('before');
  const since = await time('since');
  return (row) => {
    const created = Date.parse(row.image.created ?? row.image.stored);
    const untagged = row.image.repoTags.length === 0;
    return (
      (dangling === undefined || dangling.some((d) => d === untagged)) &&
      anyValue(filters, 'reference', (pattern) => matchesReference(pattern, row)) &&
      matchesLabels(filters, row.image.config.Labels ?? undefined) &&
      (before === undefined || before.every((t) => created < t)) &&
      (since === undefined || since.every((t) => created > t))
    );
  };
}
