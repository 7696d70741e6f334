import { ImageReference, NotFoundError } from '@koker/core';
import { type RunImage } from '@koker/engine';
import { type CliContext } from '../context.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** The image to run, from the store (by reference or ID), pulled first when the policy says so. */
export async function resolveRunImage(
  context: CliContext,
  image: string,
  options: { pull: PullPolicy; platform?: string },
): Promise<RunImage> {
  let record = options.pull === 'always' ? undefined : await context.images.find(image);
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
  }
  return { reference: image, record, layerDirs: await context.images.layerDirs(record) };
}
