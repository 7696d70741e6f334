import { NotImplementedError, type RunImage } from '@koker/core';
import { type CliContext } from '../context.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** The image to run, from the store, pulled first when the policy says so. */
export async function resolveRunImage(
  _context: CliContext,
  _reference: string,
  _options: { pull: PullPolicy; platform?: string },
): Promise<RunImage> {
  throw new NotImplementedError('the image store');
}
