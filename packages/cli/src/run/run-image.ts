import {
  ImageReference,
  InvalidValueError,
  NotFoundError,
  formatPlatform,
  parsePlatform,
  type ImageRecord,
  type Platform,
} from '@koker/core';
import { type RunImage } from '@koker/engine';
import { type CliContext } from '../context.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** `--platform os/arch[/variant]`; errors name the flag. */
export function parseRunPlatform(input: string): Platform {
  try {
    return parsePlatform(input);
  } catch (error) {
    throw new InvalidValueError('--platform', input, 'expected os/architecture[/variant], e.g. linux/amd64', {
      hint: (error as Error).message,
    });
  }
}

/** Whether an image in the store is of the platform asked for (os and architecture, as Docker compares). */
function matches(record: ImageRecord, platform: Platform): boolean {
  return record.os === platform.os && record.architecture === platform.architecture;
}

/**
 * The image to run, from the store (by reference or ID), pulled first when the policy says so.
 * With `--platform`, an image of another platform in the store counts as missing (Docker 26):
 * pulled for that platform (the registry's index must have it), refused with `--pull never`.
 */
export async function resolveRunImage(
  context: CliContext,
  image: string,
  options: { pull: PullPolicy; platform?: string },
): Promise<RunImage> {
  const platform = options.platform ? parseRunPlatform(options.platform) : undefined;
  let record = options.pull === 'always' ? undefined : await context.images.find(image);
  if (record && platform && !matches(record, platform)) {
    const found = formatPlatform({ os: record.os, architecture: record.architecture });
    if (options.pull === 'never')
      throw new NotFoundError(
        `image with reference ${image} was found but does not match the specified platform: wanted ${formatPlatform(platform)}, actual: ${found}`,
        { hint: 'pull it for that platform (koker pull --platform), or let run pull it: --pull missing' },
      );
    record = undefined;
  }
  if (!record) {
    const reference = ImageReference.parse(image);
    if (options.pull === 'never')
      throw new NotFoundError(`no such image: ${reference.toString()}`, {
        hint: 'pull it first (koker pull), or let run pull it: --pull missing',
      });
    if (options.pull === 'missing')
      context.log.info({ image: reference.toString() }, 'Unable to find image locally');
    // The pull's code (registry client, applier, progress bars) is loaded only when it pulls.
    const { pullWithProgress } = await import('../commands/image/pull.js');
    await pullWithProgress(context, reference, options.platform ? { platform: options.platform } : {});
    record = await context.images.find(reference);
    if (!record) throw new NotFoundError(`image ${reference.toString()} is not in the store after its pull`);
    // A single-platform image is served whatever the platform asked: refused rather than run.
    if (platform && !matches(record, platform))
      throw new InvalidValueError(
        '--platform',
        options.platform ?? '',
        `${image} has no ${formatPlatform(platform)} image: its registry serves ${formatPlatform({ os: record.os, architecture: record.architecture })}`,
        { hint: 'drop --platform, or use an image whose index lists that platform' },
      );
  }
  return { reference: image, record, layerDirs: await context.images.layerDirs(record) };
}
