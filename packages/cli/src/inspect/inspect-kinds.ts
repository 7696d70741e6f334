import { type CliContext } from '../context.js';

/**
 * An object kind `koker inspect` finds by name: containers, images, networks and volumes. `find` resolves to undefined when no object of the
 * kind has that name (other failures are thrown); its module is imported only when used.
 */
export interface InspectKind {
  readonly type: string;
  find(ctx: CliContext, name: string): Promise<unknown>;
}

/** Docker's order: a name that is both a container and an image is the container, then networks, volumes. */
export const INSPECT_KINDS: readonly InspectKind[] = [
  {
    type: 'container',
    find: async (ctx, name) => (await import('./container-kind.js')).findContainerDocument(ctx, name),
  },
  {
    type: 'image',
    find: async (ctx, name) => (await import('./image-kind.js')).findImageDocument(ctx, name),
  },
  {
    type: 'network',
    find: async (ctx, name) => (await import('./network-kind.js')).findNetworkDocument(ctx, name),
  },
  {
    type: 'volume',
    find: async (ctx, name) => (await import('./volume-kind.js')).findVolumeDocument(ctx, name),
  },
];

export function inspectKind(type: string): InspectKind | undefined {
  return INSPECT_KINDS.find((kind) => kind.type === type);
}
