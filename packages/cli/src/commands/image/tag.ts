import { Command } from 'commander';
import { ImageReference, NotFoundError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { emitImageEvent } from '../../events/object-events.js';

/** Another name for an image already stored (`koker tag`, the API's tag). */
export async function tagImage(ctx: CliContext, source: string, target: string): Promise<void> {
  const reference = ImageReference.parse(target);
  const image = await ctx.images.find(source);
  if (!image)
    throw new NotFoundError(`no such image: ${source}`, {
      hint: 'koker images lists the images there are',
    });
  await ctx.images.tag(image.id, reference);
  emitImageEvent(ctx, 'tag', { id: image.id, name: reference.toFamiliarString(), image });
}

/** `koker tag SOURCE TARGET`: another name for an image already stored. */
export function tagCommand(name = 'tag'): Command {
  return new Command(name)
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source>', 'image reference or ID')
    .argument('<target>', 'new reference, e.g. localhost:5000/app:1')
    .action(async (source: string, target: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('tag');
      await tagImage(ctx, source, target);
    });
}
