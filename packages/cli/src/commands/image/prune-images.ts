import { type RemovalReport } from '@koker/image-store';
import { type CliContext } from '../../context.js';
import { emitImageEvent } from '../../events/object-events.js';
import { type PruneFilter } from '../../filters/prune-filters.js';
import { imagesInUse } from './in-use.js';

/**
 * `image prune` and the API's prune: dangling images (or, with `all`, every image no container
 * uses) that pass the filter; an image the filter refuses is kept as one in use is.
 */
export async function pruneImages(
  context: CliContext,
  options: { readonly all: boolean; readonly accepts: PruneFilter },
): Promise<RemovalReport> {
  const keep = await imagesInUse(context);
  for (const image of await context.images.list())
    if (!options.accepts({ created: image.created, labels: image.config.Labels ?? undefined }))
      keep.add(image.id);
  const report = await context.images.prune({ all: options.all, inUse: keep });
  for (const id of report.deleted) emitImageEvent(context, 'delete', { id, name: id });
  return report;
}
