import { Command } from 'commander';
import { UsageError } from '@koker/core';
import { saveArchive } from '@koker/image-store';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { emitImageEvent } from '../../events/object-events.js';
import { writeOutputFile } from '../../output/output-file.js';

export function saveCommand(name = 'save'): Command {
  return new Command(name)
    .description('Save images to a tar archive (docker load and OCI tools read it)')
    .argument('<images...>', 'images to save (tags or IDs)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (images: string[], options: { output?: string }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('save');
      if (!options.output) {
        if (process.stdout.isTTY) {
          throw new UsageError('cowardly refusing to save to a terminal', {
            hint: 'use -o FILE or redirect stdout: koker save busybox > busybox.tar',
          });
        }
        await saveArchive(context.images, images, process.stdout, context.log);
        await emitSaveEvents(context, images);
        return;
      }
      // Checked before any work, written beside the target and renamed over it: a failed save
      // leaves no half archive, and never replaces a device, FIFO or directory.
      const target = await writeOutputFile(options.output, (out) =>
        saveArchive(context.images, images, out, context.log),
      );
      context.log.info({ file: target, images: images.join(' ') }, 'Images saved');
      await emitSaveEvents(context, images);
    });
}

/** Docker's `save` event per image saved, naming its ID. */
async function emitSaveEvents(ctx: CliContext, images: readonly string[]): Promise<void> {
  const seen = new Set<string>();
  for (const name of images) {
    const image = await ctx.images.find(name);
    if (!image || seen.has(image.id)) continue;
    seen.add(image.id);
    emitImageEvent(ctx, 'save', { id: image.id, name: image.id, image });
  }
}
