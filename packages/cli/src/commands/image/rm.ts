import { Command } from 'commander';
import { KokerError, type ImageRecord } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { emitImageEvent } from '../../events/object-events.js';
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
          const record = await context.images.find(image).catch(() => undefined);
          const report = await context.images.remove(image, { force: options.force === true, inUse });
          emitRemovalEvents(context, report, record);
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

/** Docker's `untag` per tag removed and `delete` per image deleted, each naming the image ID. */
export function emitRemovalEvents(
  ctx: CliContext,
  report: { readonly untagged: readonly string[]; readonly deleted: readonly string[] },
  image: ImageRecord | undefined,
): void {
  const id = image?.id ?? report.deleted[0];
  if (id !== undefined)
    for (const _tag of report.untagged)
      emitImageEvent(ctx, 'untag', { id, name: id, ...(image ? { image } : {}) });
  for (const deleted of report.deleted)
    emitImageEvent(ctx, 'delete', {
      id: deleted,
      name: deleted,
      ...(image?.id === deleted ? { image } : {}),
    });
}
