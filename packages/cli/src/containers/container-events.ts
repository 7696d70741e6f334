import { type ContainerRecord } from '@koker/core';
import { EventJournal, type EventInput } from '@koker/engine';
import { type CliContext } from '../context.js';
import { labelsOf } from '../output/container-context.js';

/** The journal of this invocation's root. */
export function journalOf(ctx: CliContext): EventJournal {
  return new EventJournal(ctx.config.root);
}

/** Appends an event (debug-logged); a journal that cannot be written never fails the command. */
export function emitEvent(ctx: CliContext, input: EventInput): void {
  const event = journalOf(ctx).emit(input);
  ctx.log.debug(
    { type: input.type, action: input.action, id: input.id.slice(0, 12), written: event !== undefined },
    'Record event',
  );
}

/** A container event with Docker's attributes: image, name, labels (and `exitCode` for die). */
export async function emitContainerEvent(
  ctx: CliContext,
  record: ContainerRecord,
  action: string,
  extra: { attributes?: Record<string, string>; at?: string } = {},
): Promise<void> {
  emitEvent(ctx, {
    type: 'container',
    action,
    id: record.id,
    attributes: {
      ...labelsOf(record),
      image: record.image.reference,
      name: record.name,
      ...extra.attributes,
    },
    ...(extra.at ? { at: extra.at } : {}),
  });
}
