import { Command } from 'commander';
import { ImageReference, ImageSources, Storage, hostPlatform, parsePlatform } from '@koker/core';
import { pullImage, silentProgress, type ProgressSink } from '@koker/image-store';
import { emitImageEvent } from '../../events/object-events.js';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { LogProgress, TerminalProgress, type TransferKind } from '../../output/pull-progress.js';

/** Bars on a terminal (unless --debug interleaves log lines), log lines otherwise, nothing with -q. */
export function progressFor(context: CliContext, quiet: boolean, kind: TransferKind = 'pull'): ProgressSink {
  if (quiet || context.globals.quiet) return silentProgress;
  if (process.stderr.isTTY && !context.globals.debug && context.globals.logFormat !== 'json') {
    return new TerminalProgress(process.stderr, kind);
  }
  return new LogProgress(context.log, kind);
}

/** Ctrl-C (or a TERM) aborts the transfer, so work directories and locks are released. */
export function abortOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Pulls `reference` into the store; shared by `pull` and by `run` when the image is missing. */
export async function pullWithProgress(
  context: CliContext,
  reference: ImageReference,
  options: { platform?: string; quiet?: boolean },
) {
  const platform = options.platform ? parsePlatform(options.platform) : hostPlatform();
  const source = await context.driver(ImageSources);
  const storage = await context.driver(Storage);
  const aborting = abortOnSignals();
  try {
    const result = await pullImage({ source, storage, store: context.images, log: context.log }, reference, {
      platform,
      concurrency: context.config.registry.concurrency,
      progress: progressFor(context, options.quiet === true),
      signal: aborting.signal,
    });
    const image = await context.images.find(reference);
    emitImageEvent(context, 'pull', {
      id: reference.toFamiliarString(),
      name: reference.familiarName,
      ...(image ? { image } : {}),
    });
    return result;
  } finally {
    aborting.dispose();
    await (source as { close?: () => Promise<void> }).close?.();
  }
}

/** `koker pull` / `koker image pull`. */
export function pullCommand(name = 'pull'): Command {
  return new Command(name)
    .description('Pull an image from a registry')
    .argument('<image>', 'image reference, e.g. busybox or localhost:5000/app:1')
    .option('--platform <os/arch>', 'platform to pull, e.g. linux/arm64')
    .option('-q, --quiet', 'print only the image reference, no progress')
    .action(async (image: string, options: { platform?: string; quiet?: boolean }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('pull');
      const reference = ImageReference.parse(image);
      const result = await pullWithProgress(context, reference, options);
      if (options.quiet) {
        process.stdout.write(`${reference.toString()}\n`);
        return;
      }
      const status = result.upToDate ? 'Image is up to date for' : 'Downloaded newer image for';
      process.stdout.write(
        `Digest: ${result.digest}\nStatus: ${status} ${reference.toFamiliarString()}\n${reference.toString()}\n`,
      );
    });
}
