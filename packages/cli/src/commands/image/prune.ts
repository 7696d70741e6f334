import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { formatDecimalSize } from '@koker/core';
import { collect, contextOf } from '../../command-context.js';
import { parsePruneFilters } from '../../filters/prune-filters.js';
import { pruneImages } from './prune-images.js';

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } catch {
    return false;
  } finally {
    prompt.close();
  }
}

export function imagePruneCommand(name = 'prune'): Command {
  return new Command(name)
    .description('Remove unused images')
    .option('-a, --all', 'remove all images no container uses, not just untagged ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'only images matching (until=, label=, label!=)', collect, [])
    .action(async (options: { all?: boolean; force?: boolean; filter: string[] }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('image prune');
      const { accepts } = parsePruneFilters(options.filter);
      if (!options.force) {
        const what = options.all
          ? 'all images without at least one container associated to them'
          : 'all dangling images';
        if (!(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `)))
          return;
      }
      const report = await pruneImages(context, { all: options.all === true, accepts });
      const lines: string[] = [];
      if (report.deleted.length) {
        lines.push('Deleted Images:');
        for (const tag of report.untagged) lines.push(`untagged: ${tag}`);
        for (const id of report.deleted) lines.push(`deleted: ${id}`);
        for (const layer of report.deletedLayers) lines.push(`deleted: ${layer}`);
        lines.push('');
      }
      lines.push(`Total reclaimed space: ${formatDecimalSize(report.reclaimed)}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
