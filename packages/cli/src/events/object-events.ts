import { type ImageRecord } from '@koker/core';
import { emitEvent } from '../containers/container-events.js';
import { type CliContext } from '../context.js';

/**
 * Image events as Docker's daemon writes them: `pull` and `push` name the reference (ID the
 * familiar reference, `name` the familiar name); `tag` names the new tag; `untag`, `delete`,
 * `load`, `save` and `import` name the image ID. The image's labels are attributes too, when
 * the image is at hand. The emit point for every command that changes or moves images.
 */
export type ImageAction = 'pull' | 'push' | 'tag' | 'untag' | 'delete' | 'load' | 'save' | 'import';

export function emitImageEvent(
  ctx: CliContext,
  action: ImageAction,
  event: { readonly id: string; readonly name: string; readonly image?: ImageRecord },
): void {
  emitEvent(ctx, {
    type: 'image',
    action,
    id: event.id,
    attributes: { ...(event.image?.config.Labels ?? {}), name: event.name },
  });
}

/** Network events (`create`, `connect`, `disconnect`, `destroy`): Docker's `name` and `type`. */
export function emitNetworkEvent(
  ctx: CliContext,
  action: 'create' | 'connect' | 'disconnect' | 'destroy',
  event: {
    readonly id: string;
    readonly name: string;
    readonly driver?: string;
    readonly container?: string;
  },
): void {
  emitEvent(ctx, {
    type: 'network',
    action,
    id: event.id,
    attributes: {
      ...(event.container ? { container: event.container } : {}),
      name: event.name,
      type: event.driver ?? 'bridge',
    },
  });
}
