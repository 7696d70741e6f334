import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import {
  ImageReference,
  InvalidValueError,
  NotFoundError,
  RegistryError,
  Storage,
  hostPlatform,
  parsePlatform,
} from '@koker/core';
import { importTarball } from '@koker/image-store';
import { collect, contextOf } from '../../command-context.js';
import { emitEvent } from '../../containers/container-events.js';
import { applyChanges } from '../../image-config/change-instructions.js';
import { abortOnSignals } from './pull.js';

interface ImportFlags {
  change?: string[];
  message?: string;
  platform?: string;
}

/** Where the tarball comes from: stdin (`-`), an http(s) URL, or a regular file. */
async function openSource(source: string, signal: AbortSignal): Promise<{ stream: Readable; from: string }> {
  if (source === '-') return { stream: process.stdin, from: '-' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new InvalidValueError('URL', source, 'it does not parse');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidValueError('URL', source, 'koker imports from http:// and https:// URLs only');
    }
    let response: Response;
    try {
      // A redirect may only lead to another http(s) address (fetch refuses other schemes).
      response = await fetch(url, { redirect: 'follow', signal });
    } catch (error) {
      throw new RegistryError(`cannot download ${url.href}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok || !response.body) {
      throw new RegistryError(`cannot download ${url.href}: HTTP ${response.status}`, {
        hint: 'check the URL',
      });
    }
    return {
      stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      from: url.href,
    };
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
        emitEvent(context, {
          type: 'image',
          action: 'import',
          id,
          attributes: { name: tags[0]?.toFamiliarString() ?? id },
        });
        process.stdout.write(`${id}\n`);
      } finally {
        aborting.dispose();
      }
    });
}
