import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  type Descriptor,
  type Digest,
  type ImageRecord,
  MediaTypes,
  StateError,
  layerCompression,
  parseDigest,
} from '@koker/core';
import { type FileImageStore } from './file-image-store.js';

/** An OCI manifest of a stored image: its bytes, digest and the descriptors it names. */
export interface OciManifestOut {
  readonly config: Descriptor;
  /** Bottom first, each a blob the store holds. */
  readonly layers: readonly Descriptor[];
  readonly bytes: Buffer;
  readonly digest: Digest;
}

const OCI_LAYER: Readonly<Record<string, string>> = {
  gzip: MediaTypes.ociLayerGzip,
  zstd: MediaTypes.ociLayerZstd,
  none: MediaTypes.ociLayer,
};

/**
 * The OCI manifest `save` writes and `push` sends for an image it holds no received manifest of
 * (built, committed, imported): the config and, per layer, the first blob the store still has.
 * The same bytes for the same image every time, so its digest is stable. `action` names what
 * needs it, for the error when a layer's blob is gone.
 */
export async function ociManifestOf(
  store: FileImageStore,
  image: ImageRecord,
  action: 'push' | 'save',
): Promise<OciManifestOut> {
  const layers: Descriptor[] = [];
  for (const chainId of image.chainIds) {
    const layer = await store.readLayer(chainId);
    let chosen: Descriptor | undefined;
    for (const blob of layer?.blobs ?? []) {
      if (await store.hasBlob(blob.digest)) {
        chosen = blob;
        break;
      }
    }
    if (!chosen) {
      throw new StateError(`the blob of layer ${chainId} of image ${image.id} is missing from the store`, {
        hint: `pull or load the image again to ${action} it`,
      });
    }
    const mediaType = OCI_LAYER[layerCompression(chosen.mediaType) ?? 'none'] as string;
    layers.push({ mediaType, digest: chosen.digest, size: chosen.size });
  }
  const config: Descriptor = {
    mediaType: MediaTypes.ociConfig,
    digest: image.id,
    size: (await stat(store.layout.blob(image.id))).size,
  };
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers }),
  );
  const digest = parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  return { config, layers, bytes, digest };
}
