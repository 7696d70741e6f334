import { Command } from 'commander';
import { formatDecimalSize, shortDigest, type ImageRecord } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { humanDuration } from '../../output/human-duration.js';
import { imageFilter } from '../../filters/image-filter.js';
import { goTime } from '../../output/container-context.js';
import { parseFormat, renderItems } from '../../output/template/index.js';

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

function matchesArgument(row: ImageRow, filter: string | undefined): boolean {
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

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `koker images` / `koker image ls`. */
export function imageLsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List images')
    .argument('[repository]', 'only images of this repository (optionally :tag)')
    .option('-a, --all', 'show all images (default hides intermediate images)')
    .option('-q, --quiet', 'only show image IDs')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'do not truncate output')
    .option('-f, --filter <filter>', 'filter output based on conditions provided (key=value)', collect)
    .option('--format <format>', 'format output: table (default), table TEMPLATE, json, or a Go template')
    .action(
      async (
        argument: string | undefined,
        options: {
          all?: boolean;
          quiet?: boolean;
          trunc: boolean;
          format?: string;
          filter?: string[];
          digests?: boolean;
        },
        command: Command,
      ) => {
        const context = contextOf(command);
        context.requireRoot('images');
        const format = parseFormat(options.format);
        const matches = await imageFilter(options.filter, (reference) =>
          context.images.find(reference).catch(() => undefined),
        );
        const images = await context.images.list();
        // As Docker: an untagged image another image was built from (a build step) is intermediate.
        const parents = new Set<string>();
        if (!options.all) {
          for (const image of images) {
            const parent = (await context.images.storedImage(image.id))?.parent;
            if (parent) parents.add(parent);
          }
        }
        const rows = imageRows(
          images.filter((image) => image.repoTags.length > 0 || !parents.has(image.id)),
        ).filter((row) => matchesArgument(row, argument) && matches(row));
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
        const items = rows.map((row) => new ImageContext(row, id(row.image)));
        process.stdout.write(
          renderItems(
            format,
            options.digests ? DEFAULT_DIGESTS_FORMAT : DEFAULT_IMAGES_FORMAT,
            items,
            IMAGE_HEADERS,
          ),
        );
      },
    );
}

const DEFAULT_IMAGES_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const DEFAULT_DIGESTS_FORMAT =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

const IMAGE_HEADERS = {
  Containers: 'CONTAINERS',
  CreatedAt: 'CREATED AT',
  CreatedSince: 'CREATED',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  SharedSize: 'SHARED SIZE',
  Size: 'SIZE',
  Tag: 'TAG',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

/** One row as `images --format` templates see it: Docker's ImageContext fields, sorted for `{{json .}}`. */
class ImageContext {
  readonly Containers = 'N/A';
  readonly CreatedAt: string;
  readonly CreatedSince: string;
  readonly Digest: string;
  readonly ID: string;
  readonly Repository: string;
  readonly SharedSize = 'N/A';
  readonly Size: string;
  readonly Tag: string;
  readonly UniqueSize = 'N/A';
  readonly VirtualSize: string;

  constructor(row: ImageRow, id: string) {
    const digest = row.image.repoDigests.find((d) => d.startsWith(`${row.repository}@`));
    this.CreatedAt = row.image.created ? goTime(row.image.created) : '';
    this.CreatedSince = created(row.image);
    this.Digest = digest ? digest.slice(digest.lastIndexOf('@') + 1) : '<none>';
    this.ID = id;
    this.Repository = row.repository;
    this.Size = formatDecimalSize(row.image.size);
    this.Tag = row.tag;
    this.VirtualSize = formatDecimalSize(row.image.size);
  }
}
