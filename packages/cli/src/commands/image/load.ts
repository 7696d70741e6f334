import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { NotFoundError, Storage, UsageError, shortDigest } from '@koker/core';
import { requireRegularFile } from '@koker/host';
import { loadArchive } from '@koker/image-store';
import { emitImageEvent } from '../../events/object-events.js';
import { contextOf } from '../../command-context.js';
import { abortOnSignals, progressFor } from './pull.js';

export function loadCommand(name = 'load'): Command {
  return new Command(name)
    .description('Load images from a docker-save or OCI layout archive')
    .option('-i, --input <file>', 'read from a tar archive file instead of stdin')
    .option('-q, --quiet', 'suppress the load output')
    .action(async (options: { input?: string; quiet?: boolean }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('load');
      const store = context.images;
      await store.prepare();
      let archive = options.input;
      // A directory, device or FIFO is refused before anything is read (stdin takes a pipe).
      if (archive !== undefined)
        requireRegularFile(archive, 'input file', 'give an archive file, or pipe one in: koker load < FILE');
      let spooled: string | undefined;
      if (!archive) {
        if (process.stdin.isTTY) {
          throw new UsageError('requested load from stdin, but stdin is a terminal', {
            hint: 'use -i FILE, or redirect an archive: koker load < busybox.tar',
          });
        }
        // The archive is read out of order (manifest.json may come last): keep stdin in the store's tmp.
        spooled = await store.workDir();
        archive = join(spooled, 'archive.tar');
        await pipeline(process.stdin, createWriteStream(archive));
      }
      const aborting = abortOnSignals();
      try {
        const storage = await context.driver(Storage);
        const loaded = await loadArchive({ store, storage, log: context.log }, archive, {
          progress: progressFor(context, options.quiet === true, 'load'),
          signal: aborting.signal,
        }).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            throw new NotFoundError(`cannot read ${archive}: no such file`, { cause: error });
          }
          throw error;
        });
        for (const image of loaded) {
          const record = await store.find(image.id);
          emitImageEvent(context, 'load', {
            id: image.id,
            name: image.id,
            ...(record ? { image: record } : {}),
          });
        }
        if (options.quiet) return;
        for (const image of loaded) {
          if (image.tags.length === 0) process.stdout.write(`Loaded image ID: ${image.id}\n`);
          for (const tag of image.tags) process.stdout.write(`Loaded image: ${tag}\n`);
        }
        if (loaded.length === 0) context.log.warn({ archive }, 'The archive holds no image');
        context.log.debug({ images: loaded.map((i) => shortDigest(i.id)) }, 'Load done');
      } finally {
        aborting.dispose();
        if (spooled) await rm(spooled, { recursive: true, force: true });
      }
    });
}
