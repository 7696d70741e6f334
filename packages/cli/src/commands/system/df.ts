import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { formatDecimalSize } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { parseFormat, renderItems } from '../../output/template/index.js';

/** Bytes of the files under a directory (not following links); 0 when it is gone. */
function directorySize(path: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = join(path, entry);
    try {
      const stat = lstatSync(full);
      total += stat.isDirectory() ? directorySize(full) : stat.size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

const reclaimable = (bytes: number, of: number) =>
  `${formatDecimalSize(bytes)} (${of === 0 ? 0 : Math.round((bytes / of) * 100)}%)`;

const DEFAULT_FORMAT = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const HEADERS = {
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Size: 'SIZE',
  Reclaimable: 'RECLAIMABLE',
};

/**
 * `koker system df`: images (layers shared between images counted once per image, as Docker's
 * summary does), containers (their directories under the root: logs and files koker keeps),
 * volumes and build cache (koker has none yet: 0).
 */
export function dfCommand(name = 'df'): Command {
  return new Command(name)
    .description('Show koker disk usage')
    .option('--format <format>', 'format output: table (default), table TEMPLATE, json, or a Go template')
    .action(async (options: { format?: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('system df');
      const format = parseFormat(options.format);
      const images = await ctx.images.list();
      const { records } = await ctx.state.list();
      const used = new Set(records.map((r) => r.image.id));
      const imageSize = images.reduce((sum, image) => sum + image.size, 0);
      const unusedImages = images.filter((image) => !used.has(image.id));
      const lifecycle = lifecycleOf(ctx);
      let running = 0;
      let containerSize = 0;
      let stoppedSize = 0;
      for (const record of records) {
        const size = directorySize(ctx.state.directory(record.id));
        containerSize += size;
        if ((await lifecycle.observe(record)).running) running++;
        else stoppedSize += size;
      }
      const rows = [
        {
          Type: 'Images',
          TotalCount: String(images.length),
          Active: String(images.length - unusedImages.length),
          Size: formatDecimalSize(imageSize),
          Reclaimable: reclaimable(
            unusedImages.reduce((sum, image) => sum + image.size, 0),
            imageSize,
          ),
        },
        {
          Type: 'Containers',
          TotalCount: String(records.length),
          Active: String(running),
          Size: formatDecimalSize(containerSize),
          Reclaimable: reclaimable(stoppedSize, containerSize),
        },
        { Type: 'Local Volumes', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
        { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
      ];
      process.stdout.write(renderItems(format, DEFAULT_FORMAT, rows, HEADERS));
    });
}
