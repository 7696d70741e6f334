import { Command } from 'commander';
import { KokerError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { reportError } from '../../output/report-error.js';
import { imagesInUse } from './in-use.js';

/** `koker rmi` / `koker image rm`. */
export function imageRmCommand(name = 'rm'): Command {
  return new Command(name)
    .description('Remove images (untag, then delete when no tag is left)')
    .argument('<images...>', 'tags, image IDs (or prefixes) or digests')
    .option('-f, --force', 'remove every tag of an image given by ID, or untag an image a container uses')
    .action(async (images: string[], options: { force?: boolean }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('rmi');
      const inUse = await imagesInUse(context);
      let failed: unknown;
      for (const image of images) {
        try {
          const report = await context.images.remove(image, { force: options.force === true, inUse });
          for (const tag of report.untagged) process.stdout.write(`Untagged: ${tag}\n`);
          for (const id of report.deleted) process.stdout.write(`Deleted: ${id}\n`);
          for (const layer of report.deletedLayers) process.stdout.write(`Deleted: ${layer}\n`);
        } catch (error) {
          // Like Docker: report each failure, go on with the others, fail at the end.
          if (!(error instanceof KokerError)) throw error;
          if (failed !== undefined)
            reportError(failed, { json: context.globals.logFormat === 'json', debug: false });
          failed = error;
        }
      }
      if (failed !== undefined) throw failed;
    });
}
