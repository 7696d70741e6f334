import { createHash } from 'node:crypto';
import { RegistryError, type Digest, type Logger } from '@koker/core';
import { type RegistryClient } from '../registry-client.js';
import { BlobUploader, type BlobOutcome, type BlobToPush, type UploadLimits } from './blob-upload.js';
import { pushFailure } from './push-errors.js';

/** An image as it goes to a registry: its layers, its config, and the manifest that names them. */
export interface ImageToPush {
  readonly layers: readonly (BlobToPush & {
    /** The ID shown per layer (Docker shows the short diff ID). */
    readonly id: string;
  })[];
  readonly config: BlobToPush;
  /** The manifest's bytes as stored, so its digest stays the one the image is known by. */
  readonly manifest: { readonly mediaType: string; readonly bytes: Uint8Array };
}

/** What happens to one layer during a push, for progress displays. */
export type PushLayerState =
  | { readonly phase: 'preparing' }
  | { readonly phase: 'waiting' }
  | { readonly phase: 'pushing'; readonly current: number; readonly total: number }
  | { readonly phase: 'done'; readonly outcome: BlobOutcome };

export interface PushOptions {
  /** `host/`-less repository path, e.g. `library/app`. */
  readonly repository: string;
  /** The tag (or a digest) the manifest is put under. */
  readonly tag: string;
  /** Repositories of the same registry that may already hold the layers (mount sources). */
  readonly mountFrom?: readonly string[];
  /** Layers sent at once. */
  readonly concurrency?: number;
  readonly onLayer?: (id: string, state: PushLayerState) => void;
  readonly signal?: AbortSignal;
  readonly limits?: UploadLimits;
  readonly log?: Logger;
}

export interface PushResult {
  readonly digest: Digest;
  readonly size: number;
}

function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

/**
 * Pushes an image: every layer (checked, mounted or uploaded, several at once), then the config,
 * then the manifest under the tag. The manifest's digest the registry answers must be ours.
 */
export async function pushImage(
  client: RegistryClient,
  image: ImageToPush,
  options: PushOptions,
): Promise<PushResult> {
  const uploader = new BlobUploader(client, options.repository, options.limits, options.log);
  const name = `${client.endpoint.host}/${options.repository}`;
  const report = options.onLayer ?? (() => undefined);
  for (const layer of image.layers) report(layer.id, { phase: 'preparing' });
  const queue = [...image.layers];
  let failed: unknown;
  const worker = async () => {
    for (let layer = queue.shift(); layer && failed === undefined; layer = queue.shift()) {
      const { id } = layer;
      let sent = 0;
      try {
        const outcome = await uploader.push(layer, {
          what: `layer ${layer.descriptor.digest} of ${name}`,
          ...(options.mountFrom ? { mountFrom: options.mountFrom } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          onBytes: (n) => {
            sent += n;
            report(id, { phase: 'pushing', current: sent, total: layer.descriptor.size });
          },
        });
        report(id, { phase: 'done', outcome });
      } catch (error) {
        failed ??= error;
      }
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? 3, image.layers.length));
  for (const layer of image.layers.slice(lanes)) report(layer.id, { phase: 'waiting' });
  await Promise.all(Array.from({ length: lanes }, worker));
  if (failed !== undefined) throw failed;

  await uploader.push(image.config, {
    what: `config ${image.config.descriptor.digest} of ${name}`,
    ...(options.mountFrom ? { mountFrom: options.mountFrom } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });

  const digest = sha256(image.manifest.bytes);
  const what = `the manifest ${digest} of ${name}:${options.tag}`;
  const response = await client.request(`${options.repository}/manifests/${options.tag}`, {
    method: 'PUT',
    scope: `repository:${options.repository}:pull,push`,
    headers: {
      'content-type': image.manifest.mediaType,
      'content-length': String(image.manifest.bytes.length),
    },
    body: () => image.manifest.bytes,
    what,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.status !== 201 && response.status !== 200) {
    throw await pushFailure(client, response, what, options.repository);
  }
  await response.body.dump();
  const said = response.header('docker-content-digest');
  if (said !== undefined && said !== digest) {
    throw new RegistryError(`${client.endpoint.host} stored ${what} as ${said}`, {
      hint: 'the registry rewrote the manifest; the image would not be the same there',
    });
  }
  options.log?.debug({ digest, size: image.manifest.bytes.length, tag: options.tag }, 'Manifest pushed');
  return { digest, size: image.manifest.bytes.length };
}
