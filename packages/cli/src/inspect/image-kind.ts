import { inspectImage } from './image-document.js';
import { type CliContext } from '../context.js';

export async function findImageDocument(ctx: CliContext, name: string): Promise<unknown> {
  const image = await ctx.images.find(name).catch(() => undefined);
  return image ? inspectImage(ctx, image) : undefined;
}
