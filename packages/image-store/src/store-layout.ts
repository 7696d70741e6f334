import { join } from 'node:path';
import { digestHex, type Digest } from '@koker/core';

/**
 * Where the image store keeps things, under `<root>/images`:
 *
 *   blobs/sha256/<hex>                 manifests, indexes, configs and layer blobs, as received
 *   layers/sha256/<chain hex>/diff/    an extracted layer (what overlayfs stacks)
 *   layers/sha256/<chain hex>/layer.json
 *   images/sha256/<config hex>.json    an image: its config facts, chain IDs, manifests
 *   repositories.json                  tags and repo digests -> image IDs
 *   tmp/<owner>-<random>/              work in progress, removed when its owner is gone
 *   locks/                             flock files
 *
 * Everything appears by rename of a complete file or directory, in the order blobs -> layers ->
 * image -> tags, so a reader (or a kill -9) never sees a half-written entry.
 */
export class StoreLayout {
  readonly base: string;

  constructor(root: string) {
    this.base = join(root, 'images');
  }

  get blobsDir(): string {
    return join(this.base, 'blobs', 'sha256');
  }

  get layersDir(): string {
    return join(this.base, 'layers', 'sha256');
  }

  get imagesDir(): string {
    return join(this.base, 'images', 'sha256');
  }

  get tmpDir(): string {
    return join(this.base, 'tmp');
  }

  get locksDir(): string {
    return join(this.base, 'locks');
  }

  get repositoriesFile(): string {
    return join(this.base, 'repositories.json');
  }

  blob(digest: Digest): string {
    return join(this.blobsDir, digestHex(digest));
  }

  layer(chainId: Digest): string {
    return join(this.layersDir, digestHex(chainId));
  }

  layerDiff(chainId: Digest): string {
    return join(this.layer(chainId), 'diff');
  }

  layerRecord(chainId: Digest): string {
    return join(this.layer(chainId), 'layer.json');
  }

  image(id: Digest): string {
    return join(this.imagesDir, `${digestHex(id)}.json`);
  }

  /** Held shared by pulls and loads, exclusively by whatever deletes layers and blobs. */
  get gcLock(): string {
    return join(this.locksDir, 'gc.lock');
  }

  /** Held while repositories.json and image records are read, changed and written. */
  get indexLock(): string {
    return join(this.locksDir, 'index.lock');
  }

  /** Held while one layer is downloaded and extracted: a second puller waits and reuses it. */
  layerLock(chainId: Digest): string {
    return join(this.locksDir, `layer-${digestHex(chainId)}.lock`);
  }
}
