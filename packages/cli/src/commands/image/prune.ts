import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { formatDecimalSize } from '@koker/core';
import { emitImageEvent } from '../../events/object-events.js';
import { contextOf } from '../../command-context.js';
import { imagesInUse } from './in-use.js';

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
    .action(async (options: { all?: boolean; force?: boolean }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('image prune');
      if (!options.force) {
        const what = options.all
          ? 'all images without at least one container associated to them'
          : 'all dangling images';
        if (!(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `)))
          return;
      }
      const report = await context.images.prune({
        all: options.all === true,
        inUse: await imagesInUse(context),
      });
      for (const id of report.deleted) emitImageEvent(context, 'delete', { id, name: id });
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
