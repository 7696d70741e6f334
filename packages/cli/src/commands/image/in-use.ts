import { type CliContext } from '../../context.js';

/** IDs of images some container (in any state) was created from: rm and prune keep them. */
export async function imagesInUse(context: CliContext): Promise<Set<string>> {
  const { records } = await context.state.list();
  return new Set(records.map((record) => record.image.id));
}
