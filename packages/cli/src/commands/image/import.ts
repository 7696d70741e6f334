import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Readable } from 'node:stream';
import { applyChanges } from '@koker/builder';
import { Command } from 'commander';
import {
  ImageReference,
  InvalidValueError,
  NotFoundError,
  Storage,
  hostPlatform,
  parsePlatform,
} from '@koker/core';
import { importTarball } from '@koker/image-store';
import { collect, contextOf } from '../../command-context.js';
import { emitImageEvent } from '../../events/object-events.js';
import { isUrl, openHttpDownload } from '../../downloads/http-download.js';
import { abortOnSignals } from './pull.js';

interface ImportFlags {
  change?: string[];
  message?: string;
  platform?: string;
}

/** Where the tarball comes from: stdin (`-`), an http(s) URL, or a regular file. */
async function openSource(source: string, signal: AbortSignal): Promise<{ stream: Readable; from: string }> {
  if (source === '-') return { stream: process.stdin, from: '-' };
  if (isUrl(source)) {
    const download = await openHttpDownload(source, 'URL', signal);
    return { stream: download.body, from: download.url.href };
  }
  const info = await stat(source).catch(() => undefined);
  if (!info)
    throw new NotFoundError(`no such file: ${source}`, { hint: 'give a tarball, a URL, or - for stdin' });
  if (!info.isFile()) throw new InvalidValueError('tarball', source, 'it is not a regular file');
  // Docker's CLI sends a file as the request body: the image says "Imported from -" either way.
  return { stream: createReadStream(source), from: '-' };
}

/** `koker import` / `koker image import`. */
export function importCommand(name = 'import'): Command {
  return new Command(name)
    .description('Import the contents from a tarball to create a filesystem image')
    .argument('<source>', 'a tarball: a file, an http(s) URL, or - for stdin (plain, gzip or zstd)')
    .argument('[repository]', 'REPOSITORY[:TAG] to name the image')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the image (repeatable)', collect)
    .option('-m, --message <message>', 'set the commit message of the imported image')
    .option('--platform <os/arch>', 'set the platform of the image')
    .action(async (source: string, repository: string | undefined, flags: ImportFlags, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('import');
      const tags = repository ? [ImageReference.parse(repository)] : [];
      if (tags[0]?.digest)
        throw new InvalidValueError('reference', repository ?? '', 'name a tag, not a digest');
      const platform = flags.platform ? parsePlatform(flags.platform) : hostPlatform();
      const config = applyChanges({}, flags.change ?? []);
      const storage = await context.driver(Storage);
      const aborting = abortOnSignals();
      try {
        const { stream, from } = await openSource(source, aborting.signal);
        const { id } = await importTarball({ store: context.images, storage, log: context.log }, stream, {
          config,
          platform,
          comment: flags.message ?? `Imported from ${from}`,
          tags,
          signal: aborting.signal,
        });
        // Docker's daemon names an imported image by its ID, then tags it (a tag event).
        emitImageEvent(context, 'import', { id, name: id });
        for (const tag of tags) emitImageEvent(context, 'tag', { id, name: tag.toFamiliarString() });
        process.stdout.write(`${id}\n`);
      } finally {
        aborting.dispose();
      }
    });
}
