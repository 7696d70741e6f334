import { Command, Option } from 'commander';
import { formatDecimalSize, shortDigest, type ImageRecord } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { humanDuration } from '../../output/human-duration.js';
import { renderTable } from '../../output/table.js';

interface ImageRow {
  readonly repository: string;
  readonly tag: string;
  readonly image: ImageRecord;
}

/** One row per tag (`<none>` for an untagged image), as `docker images` shows them. */
export function imageRows(images: readonly ImageRecord[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    if (image.repoTags.length === 0) {
      const digested = image.repoDigests[0];
      rows.push({
        repository: digested ? digested.slice(0, digested.lastIndexOf('@')) : '<none>',
        tag: '<none>',
        image,
      });
      continue;
    }
    for (const tagged of image.repoTags) {
      const colon = tagged.lastIndexOf(':');
      rows.push({ repository: tagged.slice(0, colon), tag: tagged.slice(colon + 1), image });
    }
  }
  const key = (r: ImageRow) => (r.repository === '<none>' ? '\uffff' : r.repository);
  return rows.sort(
    (a, b) =>
      key(a).localeCompare(key(b)) || a.tag.localeCompare(b.tag) || a.image.id.localeCompare(b.image.id),
  );
}

function matchesFilter(row: ImageRow, filter: string | undefined): boolean {
  if (!filter) return true;
  const colon = filter.lastIndexOf(':');
  const [repository, tag] =
    colon > filter.lastIndexOf('/') ? [filter.slice(0, colon), filter.slice(colon + 1)] : [filter, undefined];
  return (
    (row.repository === repository || row.repository === `library/${repository}`) &&
    (tag === undefined || row.tag === tag)
  );
}

function created(image: ImageRecord): string {
  if (!image.created) return 'N/A';
  const time = Date.parse(image.created);
  return Number.isNaN(time) ? 'N/A' : `${humanDuration(Date.now() - time)} ago`;
}

/** `koker images` / `koker image ls`. */
export function imageLsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List images')
    .argument('[repository]', 'only images of this repository (optionally :tag)')
    .option('-q, --quiet', 'only show image IDs')
    .option('--no-trunc', 'do not truncate output')
    .addOption(
      new Option('--format <format>', 'table (default) or json (one object per line)').choices([
        'table',
        'json',
      ]),
    )
    .action(
      async (
        filter: string | undefined,
        options: { quiet?: boolean; trunc: boolean; format?: string },
        command: Command,
      ) => {
        const context = contextOf(command);
        context.requireRoot('images');
        const rows = imageRows(await context.images.list()).filter((row) => matchesFilter(row, filter));
        const id = (image: ImageRecord) => (options.trunc ? shortDigest(image.id) : image.id);
        if (options.quiet) {
          const seen = new Set<string>();
          for (const row of rows) {
            if (seen.has(row.image.id)) continue;
            seen.add(row.image.id);
            process.stdout.write(`${id(row.image)}\n`);
          }
          return;
        }
        if (options.format === 'json') {
          for (const row of rows) {
            const digest = row.image.repoDigests.find((d) => d.startsWith(`${row.repository}@`));
            process.stdout.write(
              `${JSON.stringify({
                Repository: row.repository,
                Tag: row.tag,
                ID: id(row.image),
                Digest: digest ? digest.slice(digest.lastIndexOf('@') + 1) : '<none>',
                CreatedAt: row.image.created ?? '',
                CreatedSince: created(row.image),
                Size: formatDecimalSize(row.image.size),
                VirtualSize: row.image.size,
              })}\n`,
            );
          }
          return;
        }
        process.stdout.write(
          renderTable(
            ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
            rows.map((row) => [
              row.repository,
              row.tag,
              id(row.image),
              created(row.image),
              formatDecimalSize(row.image.size),
            ]),
          ),
        );
      },
    );
}
