import { Command } from 'commander';
import { NotFoundError, formatDecimalSize, shortDigest } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { goTime } from '../../output/container-context.js';
import { humanDuration } from '../../output/human-duration.js';
import { parseFormat, renderItems } from '../../output/template/index.js';

interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HEADERS = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** `koker image history IMAGE` (also `koker history`): the image config's history, newest first. */
export function historyCommand(name = 'history'): Command {
  return new Command(name)
    .description('Show the history of an image')
    .argument('<image>', 'image reference or ID')
    .option('-H, --human', 'print sizes and dates in human readable format', true)
    .option('--no-human', 'print sizes in bytes and dates as RFC 3339')
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .option('--format <format>', 'format output: table (default), table TEMPLATE, json, or a Go template')
    .action(
      async (
        reference: string,
        options: { human: boolean; trunc: boolean; quiet?: boolean; format?: string },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        ctx.requireRoot('history');
        const format = parseFormat(options.format);
        const image = await ctx.images.find(reference);
        if (!image) throw new NotFoundError(`no such image: ${reference}`);
        const config = JSON.parse(Buffer.from(await ctx.images.configBlob(image)).toString('utf8')) as {
          history?: HistoryEntry[];
        };
        const sizes: number[] = [];
        for (const chainId of image.chainIds) sizes.push((await ctx.images.readLayer(chainId))?.size ?? 0);
        const history = config.history ?? image.diffIds.map(() => ({}) as HistoryEntry);
        let layer = 0;
        const now = Date.now();
        const rows = history.map((entry) => {
          const size = entry.empty_layer ? 0 : (sizes[layer++] ?? 0);
          return { entry, size };
        });
        const id = (top: boolean) => (top ? (options.trunc ? shortDigest(image.id) : image.id) : '<missing>');
        const items = rows.reverse().map(({ entry, size }, i) => {
          const by = entry.created_by ?? '';
          const cut = options.trunc && [...by].length > 45 ? `${[...by].slice(0, 44).join('')}…` : by;
          const created = entry.created ? Date.parse(entry.created) : NaN;
          return {
            Comment: entry.comment ?? '',
            CreatedAt: entry.created ? (options.human ? goTime(entry.created) : entry.created) : '',
            CreatedBy: cut,
            CreatedSince: Number.isNaN(created)
              ? 'N/A'
              : options.human
                ? `${humanDuration(now - created)} ago`
                : entry.created,
            ID: id(i === 0),
            Size: options.human ? formatDecimalSize(size) : String(size),
          };
        });
        if (options.quiet) {
          process.stdout.write(items.map((item) => `${item.ID}\n`).join(''));
          return;
        }
        process.stdout.write(renderItems(format, DEFAULT_FORMAT, items, HEADERS));
      },
    );
}
