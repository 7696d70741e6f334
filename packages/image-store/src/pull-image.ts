import {
  type ImageSource,
  type StorageDriver,
  shortDigest,
  type Digest,
  ImageReference,
  formatPlatform,
  type Platform,
  type Logger,
  chainIds,
  parseImageConfig,
  ImageFormatError,
  normalizePlatform,
} from '@koker/core';
import { ExtractionTurn } from './extraction-turn.js';
import { type FileImageStore } from './file-image-store.js';
import { silentProgress, type ProgressSink } from './layer-progress.js';
import { runLimited, storeLayer } from './store-layer.js';

export interface PullDependencies {
  readonly source: ImageSource;
  readonly storage: StorageDriver;
  readonly store: FileImageStore;
  readonly log?: Logger;
}

export interface PullOptions {
  readonly platform: Platform;
  /** Layers downloaded at once. */
  readonly concurrency: number;
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
}

export interface PullResult {
  readonly id: Digest;
  readonly reference: ImageReference;
  /** What the reference resolved to at the registry (index or manifest): the repo digest. */
  readonly digest: Digest;
  /** Layers fetched now (the others were in the store). */
  readonly downloaded: number;
  /** True when neither the image nor its tag was new: "Image is up to date". */
  readonly upToDate: boolean;
}

/**
 * `koker pull`: resolve the reference for the platform, fetch and unpack the layers the store
 * lacks (several downloads at once, one extraction at a time: the others wait in their blob files;
 * each verified before it is committed), then record the image and its tag. Nothing is recorded for an image unless all of it verified.
 */
export async function pullImage(
  deps: PullDependencies,
  reference: ImageReference,
  options: PullOptions,
): Promise<PullResult> {
  const { source, storage, store, log } = deps;
  const progress = options.progress ?? silentProgress;
  await store.prepare();
  log?.info(
    { image: reference.toFamiliarString(), platform: formatPlatform(options.platform) },
    'Pull image',
  );
  return store.whileBuilding(async () => {
    const resolved = await source.resolve(reference, options.platform, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const configWhat = `config ${resolved.config.digest} of ${reference.toFamiliarString()}`;
    const facts = parseImageConfig(resolved.configBytes, configWhat);
    if (facts.diffIds.length !== resolved.layers.length) {
      throw new ImageFormatError(
        `${configWhat} lists ${facts.diffIds.length} layers but the manifest has ${resolved.layers.length}`,
      );
    }
    const wanted = normalizePlatform(options.platform);
    const got = normalizePlatform({
      os: facts.os,
      architecture: facts.architecture,
      ...(facts.variant ? { variant: facts.variant } : {}),
    });
    if (got.os !== wanted.os || got.architecture !== wanted.architecture) {
      log?.warn(
        {
          image: reference.toFamiliarString(),
          image_platform: formatPlatform(got),
          wanted: formatPlatform(wanted),
        },
        'The image platform does not match the requested platform',
      );
    }
    const chains = chainIds(facts.diffIds);
    log?.debug(
      { manifest: resolved.manifestDigest, config: resolved.config.digest, layers: resolved.layers.length },
      'Resolve image',
    );
    progress.start(
      `${reference.tag ?? reference.digest ?? ''}: Pulling from ${reference.familiarName}`,
      resolved.layers.map((l) => ({ id: shortDigest(l.digest), size: l.size })),
    );
    let downloaded: boolean[];
    const turn = new ExtractionTurn();
    try {
      for (const layer of resolved.layers) progress.update(shortDigest(layer.digest), { phase: 'waiting' });
      downloaded = await runLimited(
        resolved.layers.map(
          (blob, i) => () =>
            storeLayer(
              {
                chainId: chains[i] as Digest,
                diffId: facts.diffIds[i] as Digest,
                blob,
                open: (onBytes) =>
                  source.openBlob(resolved, blob, {
                    onBytes,
                    ...(options.signal ? { signal: options.signal } : {}),
                  }),
              },
              {
                store,
                storage,
                ...(log ? { log } : {}),
                ...(options.signal ? { signal: options.signal } : {}),
                report: (id, state) => progress.update(id, state),
                turn,
              },
            ),
        ),
        options.concurrency,
      );
    } finally {
      progress.end();
    }
    const manifests = [
      {
        descriptor: {
          mediaType: resolved.manifest.mediaType,
          digest: resolved.manifest.digest,
          size: resolved.manifest.bytes.length,
        },
        bytes: resolved.manifest.bytes,
      },
      ...(resolved.index
        ? [
            {
              descriptor: {
                mediaType: resolved.index.mediaType,
                digest: resolved.index.digest,
                size: resolved.index.bytes.length,
              },
              bytes: resolved.index.bytes,
            },
          ]
        : []),
    ];
    const committed = await store.commitImage({
      configBytes: resolved.configBytes,
      facts,
      chainIds: chains,
      manifests,
      tags: reference.tag && !reference.digest ? [reference] : [],
      digests: [ImageReference.parse(`${reference.name}@${resolved.topDigest}`)],
    });
    const count = downloaded.filter(Boolean).length;
    log?.info({ id: committed.id, image: reference.toFamiliarString(), layers: count }, 'Image stored');
    return {
      id: committed.id,
      reference,
      digest: resolved.topDigest,
      downloaded: count,
      upToDate: !committed.isNew && !committed.retagged && count === 0,
    };
  });
}
