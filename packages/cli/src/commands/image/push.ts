import { Command } from 'commander';
import { ImageReference, NotFoundError, UsageError, type ImageRecord } from '@koker/core';
import { pushSource } from '@koker/image-store';
import { contextOf } from '../../command-context.js';
import { emitImageEvent } from '../../events/object-events.js';
import { type CliContext } from '../../context.js';
import { PushLines, PushTerminal, silentPushDisplay, type PushDisplay } from '../../output/push-progress.js';
import { abortOnSignals } from './pull.js';

export interface PushFlags {
  allTags?: boolean;
  quiet?: boolean;
}

/** Whether the user named a tag (ImageReference fills in `latest` when none is given). */
function namesTag(input: string): boolean {
  const name = input.split('@')[0] as string;
  return name.lastIndexOf(':') > name.lastIndexOf('/');
}

/** Repositories of `target`'s registry the image is known in: where its layers may be mounted from. */
function mountSources(image: ImageRecord, target: ImageReference): string[] {
  const sources = new Set<string>();
  for (const name of [...image.repoDigests, ...image.repoTags]) {
    try {
      const known = ImageReference.parse(name);
      if (known.registry === target.registry && known.repository !== target.repository)
        sources.add(known.repository);
    } catch {
      // not a reference (cannot happen for stored tags)
    }
  }
  return [...sources];
}

function displayFor(context: CliContext, quiet: boolean): PushDisplay {
  if (quiet) return silentPushDisplay;
  return process.stdout.isTTY && !context.globals.debug ? new PushTerminal(process.stdout) : new PushLines();
}

/** The tags to push (`koker push`, the API's push): the one named (default `latest`), or with --all-tags every local tag of the repository. */
export async function targetsOf(
  context: CliContext,
  input: string,
  flags: PushFlags,
): Promise<ImageReference[]> {
  const reference = ImageReference.parse(input);
  if (reference.digest) {
    throw new UsageError(`cannot push a digest reference (${input}): name a tag`);
  }
  if (!flags.allTags) return [reference];
  if (namesTag(input)) throw new UsageError("tag can't be used with --all-tags/-a");
  const tags: ImageReference[] = [];
  for (const image of await context.images.list()) {
    for (const tag of image.repoTags) {
      const parsed = ImageReference.parse(tag);
      if (parsed.name === reference.name) tags.push(parsed);
    }
  }
  if (tags.length === 0) {
    throw new NotFoundError(`An image does not exist locally with the tag: ${reference.familiarName}`, {
      hint: 'koker images lists the images there are; koker tag gives one a name to push',
    });
  }
  return tags.sort((a, b) => (a.tag ?? '').localeCompare(b.tag ?? ''));
}

/** Where a push reports: its layers' states, and its summary lines. */
export interface PushReporter {
  /** A display for one image's layers. */
  display(): PushDisplay;
  /** `The push refers to repository [...]`, before the first image. */
  repository(name: string): void;
  /** One tag pushed. */
  pushed(target: ImageReference, digest: string, size: number): void;
}

/**
 * Pushes local tags to their registry (`koker push`, the API's push): layers mounted from
 * repositories of the same registry the image came from when it can, its digest recorded.
 * `credentials` stand in for the stored login of the targets' registry (the API's X-Registry-Auth).
 */
export async function pushImages(
  context: CliContext,
  targets: readonly ImageReference[],
  reporter: PushReporter,
  options: { readonly credentials?: { readonly username: string; readonly secret: string } } = {},
): Promise<void> {
  const first = targets[0];
  if (!first) return;
  const { OciRegistrySource } = await import('@koker/registry-oci');
  const { registry } = context.config;
  const source = new OciRegistrySource(
    { insecure: registry.insecure, timeouts: registry.timeouts, log: context.log },
    options.credentials ? { host: first.registry, credentials: options.credentials } : undefined,
  );
  const aborting = abortOnSignals();
  try {
    reporter.repository(first.name);
    for (const target of targets) {
      const image = await context.images.find(target);
      if (!image) {
        throw new NotFoundError(`An image does not exist locally with the tag: ${target.familiarName}`, {
          hint: `koker images lists the images there are; koker tag IMAGE ${target.toFamiliarString()} names one`,
        });
      }
      const tag = target.tag ?? 'latest';
      const sending = await pushSource(context.images, image);
      const display = reporter.display();
      display.start(sending.layers.map((l) => l.id).reverse());
      context.log.debug(
        { image: image.id, target: target.toString(), manifest: sending.manifest.digest },
        'Push image',
      );
      let result;
      try {
        result = await source.push(target.registry, sending, {
          repository: target.repository,
          tag,
          mountFrom: mountSources(image, target),
          concurrency: registry.concurrency,
          onLayer: (id, state) => display.update(id, state),
          signal: aborting.signal,
        });
      } finally {
        display.end();
      }
      await context.images.addRepoDigest(image.id, target, result.digest);
      emitImageEvent(context, 'push', { id: target.toFamiliarString(), name: target.familiarName, image });
      reporter.pushed(target, result.digest, result.size);
    }
  } finally {
    aborting.dispose();
    await source.close();
  }
}

/** `koker push` / `koker image push`. */
export function pushCommand(name = 'push'): Command {
  return new Command(name)
    .description('Upload an image to a registry')
    .argument('<name>', 'NAME[:TAG], e.g. localhost:5000/app:1')
    .option('-a, --all-tags', 'push all tags of the repository')
    .option('-q, --quiet', 'suppress verbose output')
    .action(async (input: string, flags: PushFlags, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('push');
      const targets = await targetsOf(context, input, flags);
      const quiet = flags.quiet === true;
      // As docker's CLI: a name alone is its `latest` tag (-a for every tag), and it says so.
      if (!flags.allTags && !quiet && !namesTag(input) && !input.includes('@'))
        process.stdout.write('Using default tag: latest\n');
      await pushImages(context, targets, {
        display: () => displayFor(context, quiet),
        repository: (repository) => {
          if (!quiet) process.stdout.write(`The push refers to repository [${repository}]\n`);
        },
        pushed: (target, digest, size) =>
          process.stdout.write(
            quiet ? `${target.toString()}\n` : `${target.tag ?? 'latest'}: digest: ${digest} size: ${size}\n`,
          ),
      });
    });
}
