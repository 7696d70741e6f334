import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '@koker/core';
import { saveArchive } from '@koker/image-store';
import { contextOf } from '../../command-context.js';

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
        return;
      }
      // Written beside the target and renamed over it: a failed save leaves no half archive.
      const target = resolve(options.output);
      const temporary = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
      try {
        await saveArchive(context.images, images, createWriteStream(temporary, { mode: 0o644 }), context.log);
        const handle = await open(temporary, 'r');
        await handle.sync();
        await handle.close();
        await rename(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      context.log.info({ file: target, images: images.join(' ') }, 'Images saved');
    });
}
