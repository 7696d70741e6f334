import { Command } from 'commander';
import { formatDecimalSize, shortDigest } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { imageHistory } from '../../inspect/image-history.js';
import { goTime } from '../../output/container-context.js';
import { humanDuration } from '../../output/human-duration.js';
import { parseFormat, renderItems } from '../../output/template/index.js';

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
        const steps = await imageHistory(ctx, reference);
        const now = Date.now();
        const items = steps.map((step) => {
          const by = step.createdBy;
          const cut = options.trunc && [...by].length > 45 ? `${[...by].slice(0, 44).join('')}…` : by;
          const created = step.created ? Date.parse(step.created) : NaN;
          return {
            Comment: step.comment,
            CreatedAt: step.created ? (options.human ? goTime(step.created) : step.created) : '',
            CreatedBy: cut,
            CreatedSince: Number.isNaN(created)
              ? 'N/A'
              : options.human
                ? `${humanDuration(now - created)} ago`
                : step.created,
            ID: step.image ? (options.trunc ? shortDigest(step.image.id) : step.image.id) : '<missing>',
            Size: options.human ? formatDecimalSize(step.size) : String(step.size),
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
