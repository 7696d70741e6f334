import { digestHex, type ImageRecord } from '@koker/core';
import { type CliContext } from '../context.js';

/**
 * The image's comment as Docker's inspect shows it: the config's own `comment`, else the last
 * history entry's (where `commit -m` and builders put it).
 */
function commentOf(raw: Record<string, unknown>): string {
  if (typeof raw.comment === 'string' && raw.comment) return raw.comment;
  const history = Array.isArray(raw.history) ? (raw.history as unknown[]) : [];
  const last = history.at(-1) as { comment?: unknown } | undefined;
  return typeof last?.comment === 'string' ? last.comment : '';
}

/** Docker's image inspect object, with the config as the image carries it. */
export async function inspectImage(
  context: CliContext,
  image: ImageRecord,
): Promise<Record<string, unknown>> {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(Buffer.from(await context.images.configBlob(image)).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    raw = {};
  }
  const layerDirs = await context.images.layerDirs(image).catch(() => [] as string[]);
  return {
    Id: image.id,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Parent: '',
    Comment: commentOf(raw),
    Created: image.created ?? '',
    Author: typeof raw.author === 'string' ? raw.author : '',
    Config: raw.config ?? image.config,
    Architecture: image.architecture,
    ...(image.variant ? { Variant: image.variant } : {}),
    Os: image.os,
    Size: image.size,
    GraphDriver: {
      Name: 'overlay',
      Data: { LowerDir: layerDirs.join(':') },
    },
    RootFS: { Type: 'layers', Layers: image.diffIds },
    Metadata: { LastTagTime: image.stored },
    KokerLayers: image.chainIds.map((chainId) => `sha256:${digestHex(chainId)}`),
  };
}
