import { NotFoundError, type ImageRecord } from '@koker/core';
import { type CliContext } from '../context.js';

interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

/** One step of an image's history, newest first; only the newest one is the image itself. */
export interface HistoryStep {
  /** The image for the newest step, else none (Docker's `<missing>`). */
  readonly image: ImageRecord | undefined;
  /** RFC 3339, when the config says. */
  readonly created: string | undefined;
  readonly createdBy: string;
  readonly comment: string;
  /** The step's layer size in bytes; 0 for an empty layer. */
  readonly size: number;
}

/** The image config's history with each layer's size (`koker history`, the API's history). */
export async function imageHistory(ctx: CliContext, reference: string): Promise<HistoryStep[]> {
  const image = await ctx.images.find(reference);
  if (!image) throw new NotFoundError(`no such image: ${reference}`);
  const config = JSON.parse(Buffer.from(await ctx.images.configBlob(image)).toString('utf8')) as {
    history?: HistoryEntry[];
  };
  const sizes: number[] = [];
  for (const chainId of image.chainIds) sizes.push((await ctx.images.readLayer(chainId))?.size ?? 0);
  const history = config.history ?? image.diffIds.map(() => ({}) as HistoryEntry);
  let layer = 0;
  const steps = history.map((entry) => ({
    created: entry.created,
    createdBy: entry.created_by ?? '',
    comment: entry.comment ?? '',
    size: entry.empty_layer ? 0 : (sizes[layer++] ?? 0),
  }));
  return steps.reverse().map((step, index) => ({ ...step, image: index === 0 ? image : undefined }));
}
