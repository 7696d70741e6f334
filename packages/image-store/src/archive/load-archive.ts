import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import {
  type Descriptor,
  type StorageDriver,
  parseDigest,
  shortDigest,
  type Digest,
  ImageReference,
  hostPlatform,
  type Platform,
  type Logger,
  chainIds,
  parseImageConfig,
  ImageFormatError,
  parseJsonObject,
  parseManifest,
  type PlatformDescriptor,
  MediaTypes,
  selectPlatform,
} from '@koker/core';
import { spentBuffers } from '@koker/host';
import { type FileImageStore } from '../file-image-store.js';
import { silentProgress, type ProgressSink } from '../layer-progress.js';
import { storeLayer } from '../store-layer.js';
import { verifyStream } from '../verify-stream.js';
import { TarIndex, type TarMember } from './tar-index.js';

export interface LoadDependencies {
  readonly store: FileImageStore;
  readonly storage: StorageDriver;
  readonly log?: Logger;
}

export interface LoadOptions {
  readonly progress?: ProgressSink;
  /** For multi-platform OCI archives: which manifest to load (default this host's). */
  readonly platform?: Platform;
  readonly signal?: AbortSignal;
}

export interface LoadedImage {
  readonly id: Digest;
  /** Familiar tags it was loaded with (empty: an untagged image). */
  readonly tags: readonly string[];
}

interface ArchiveLayer {
  readonly member: TarMember;
  readonly descriptor: Descriptor;
}

interface ArchiveImage {
  readonly configBytes: Buffer;
  readonly configDigest: Digest;
  readonly layers: readonly ArchiveLayer[];
  readonly tags: readonly ImageReference[];
  readonly manifests: readonly { descriptor: Descriptor; bytes: Buffer }[];
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

function sha256(bytes: Uint8Array): Digest {
  return parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
}

/** The digest a member's name states (`blobs/sha256/<hex>`, `<hex>.json`), if it states one. */
function digestInName(name: string): Digest | undefined {
  const blob =
    /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(name) ?? /(?:^|\/)([0-9a-f]{64})\.json$/.exec(name);
  return blob ? parseDigest(`sha256:${blob[1]}`) : undefined;
}

function member(index: TarIndex, name: string, what: string): TarMember {
  const found = index.file(name);
  if (!found) throw new ImageFormatError(`${index.path} has no ${what} (${name})`);
  return found;
}

/** The layer media type a blob's first bytes show (plain, gzip or zstd tar). */
function layerMediaType(head: Buffer | undefined): string {
  return head?.subarray(0, 2).equals(GZIP_MAGIC)
    ? MediaTypes.ociLayerGzip
    : head?.subarray(0, 4).equals(ZSTD_MAGIC)
      ? MediaTypes.ociLayerZstd
      : MediaTypes.ociLayer;
}

/**
 * A docker-save layer's media type, from its first bytes (docker save writes plain tars; Docker 25
 * may keep them compressed), and its digest: the one its name states (`blobs/sha256/<hex>`; the
 * bytes are checked against it as they are stored, and nothing is stored unless they match), else
 * hashed here.
 */
async function sniffLayer(
  index: TarIndex,
  layer: TarMember,
  stated: Digest | undefined,
): Promise<{ mediaType: string; digest: Digest }> {
  if (stated) return { mediaType: layerMediaType(await index.head(layer, 4)), digest: stated };
  const hash = createHash('sha256');
  let head: Buffer | undefined;
  for await (const chunk of index.stream(layer)) {
    head ??= (chunk as Buffer).subarray(0, 4);
    hash.update(chunk as Buffer);
    spentBuffers((chunk as Buffer).length);
  }
  return { mediaType: layerMediaType(head), digest: parseDigest(`sha256:${hash.digest('hex')}`) };
}

async function dockerSaveImages(index: TarIndex): Promise<ArchiveImage[]> {
  const manifestMember = member(index, 'manifest.json', 'manifest.json');
  let entries: unknown;
  try {
    entries = JSON.parse((await index.read(manifestMember)).toString('utf8'));
  } catch (error) {
    throw new ImageFormatError(`malformed manifest.json in ${index.path}: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries))
    throw new ImageFormatError(`malformed manifest.json in ${index.path}: expected a list`);
  const images: ArchiveImage[] = [];
  for (const entry of entries as { Config?: unknown; RepoTags?: unknown; Layers?: unknown }[]) {
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers)) {
      throw new ImageFormatError(
        `malformed manifest.json in ${index.path}: an entry needs Config and Layers`,
      );
    }
    const configBytes = await index.read(member(index, entry.Config, 'image config'));
    const configDigest = sha256(configBytes);
    const named = digestInName(entry.Config);
    if (named && named !== configDigest) {
      throw new ImageFormatError(
        `${entry.Config} in ${index.path} does not match its digest (${configDigest})`,
      );
    }
    const layers: ArchiveLayer[] = [];
    for (const path of entry.Layers as unknown[]) {
      if (typeof path !== 'string')
        throw new ImageFormatError(`malformed manifest.json in ${index.path}: a layer is not a path`);
      const layer = member(index, path, 'layer');
      const sniffed = await sniffLayer(index, layer, digestInName(path));
      layers.push({
        member: layer,
        descriptor: { mediaType: sniffed.mediaType, digest: sniffed.digest, size: layer.size },
      });
    }
    const tags = Array.isArray(entry.RepoTags)
      ? (entry.RepoTags as unknown[]).map((t) => ImageReference.parse(String(t)))
      : [];
    images.push({ configBytes, configDigest, layers, tags, manifests: [] });
  }
  return images;
}

function blobMember(index: TarIndex, descriptor: Descriptor, what: string): TarMember {
  const [algorithm, hex] = descriptor.digest.split(':');
  const found = member(index, posix.join('blobs', algorithm as string, hex as string), what);
  if (found.size !== descriptor.size) {
    throw new ImageFormatError(
      `${what} ${descriptor.digest} in ${index.path} is ${found.size} bytes, not ${descriptor.size}`,
    );
  }
  return found;
}

async function verifiedBlob(index: TarIndex, descriptor: Descriptor, what: string): Promise<Buffer> {
  const bytes = await index.read(blobMember(index, descriptor, what));
  if (sha256(bytes) !== descriptor.digest)
    throw new ImageFormatError(`${what} ${descriptor.digest} in ${index.path} does not match its digest`);
  return bytes;
}

/** The image name an OCI index entry carries: containerd's full name, or a ref.name that is a reference. */
function entryName(entry: PlatformDescriptor): ImageReference | undefined {
  const full = entry.annotations?.['io.containerd.image.name'];
  const ref = entry.annotations?.['org.opencontainers.image.ref.name'];
  const name = full ?? (ref && /[:/]/.test(ref) ? ref : undefined);
  if (!name) return undefined;
  const reference = ImageReference.parse(name);
  return reference.tag ? reference : undefined;
}

async function ociLayoutImages(index: TarIndex, platform: Platform): Promise<ArchiveImage[]> {
  const top = parseJsonObject(
    await index.read(member(index, 'index.json', 'index.json')),
    `index.json of ${index.path}`,
  );
  const topIndex = parseManifest(
    Buffer.from(JSON.stringify(top)),
    MediaTypes.ociIndex,
    `index.json of ${index.path}`,
  );
  if (topIndex.kind !== 'index') throw new ImageFormatError(`index.json of ${index.path} is not an index`);
  const byConfig = new Map<string, ArchiveImage>();
  for (const entry of topIndex.manifests) {
    const what = `manifest ${entry.digest}`;
    let bytes = await verifiedBlob(index, entry, what);
    let parsed = parseManifest(bytes, entry.mediaType, `${what} in ${index.path}`);
    const manifests: { descriptor: Descriptor; bytes: Buffer }[] = [];
    let descriptor: Descriptor = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    if (parsed.kind === 'index') {
      manifests.push({ descriptor, bytes });
      const chosen = selectPlatform(parsed.manifests, platform, `${what} in ${index.path}`);
      bytes = await verifiedBlob(index, chosen, `manifest ${chosen.digest}`);
      parsed = parseManifest(bytes, chosen.mediaType, `manifest ${chosen.digest} in ${index.path}`);
      descriptor = { mediaType: chosen.mediaType, digest: chosen.digest, size: chosen.size };
      if (parsed.kind !== 'manifest') throw new ImageFormatError(`${what} in ${index.path} nests indexes`);
    }
    manifests.push({ descriptor, bytes });
    const configBytes = await verifiedBlob(index, parsed.config, 'config');
    const layers = parsed.layers.map((layer) => ({
      member: blobMember(index, layer, 'layer'),
      descriptor: layer,
    }));
    const name = entryName(entry);
    const previous = byConfig.get(parsed.config.digest);
    byConfig.set(parsed.config.digest, {
      configBytes,
      configDigest: parsed.config.digest,
      layers,
      tags: [...(previous?.tags ?? []), ...(name ? [name] : [])],
      manifests: [...(previous?.manifests ?? []), ...manifests],
    });
  }
  return [...byConfig.values()];
}

/**
 * `koker load`: images from a `docker save` archive (manifest.json; plain or compressed layers,
 * Docker 25's OCI-combined form too) or an OCI image layout archive (index.json). Every config
 * and layer is checked against its digest and the config's diff IDs before anything is recorded.
 */
export async function loadArchive(
  deps: LoadDependencies,
  path: string,
  options: LoadOptions = {},
): Promise<LoadedImage[]> {
  const { store, storage, log } = deps;
  const progress = options.progress ?? silentProgress;
  await store.prepare();
  log?.info({ archive: path }, 'Load image archive');
  const index = await TarIndex.read(path);
  return store.whileBuilding(async () => {
    let images: ArchiveImage[];
    if (index.has('manifest.json')) images = await dockerSaveImages(index);
    else if (index.has('index.json'))
      images = await ociLayoutImages(index, options.platform ?? hostPlatform());
    else {
      throw new ImageFormatError(
        `${path} is neither a docker save archive (manifest.json) nor an OCI layout (index.json)`,
      );
    }
    const loaded: LoadedImage[] = [];
    for (const image of images) {
      const what = `config ${image.configDigest}`;
      const facts = parseImageConfig(image.configBytes, what);
      if (facts.diffIds.length !== image.layers.length) {
        throw new ImageFormatError(
          `${what} lists ${facts.diffIds.length} layers but the archive has ${image.layers.length}`,
        );
      }
      const chains = chainIds(facts.diffIds);
      progress.start(
        `Loading ${image.tags[0]?.toFamiliarString() ?? shortDigest(image.configDigest)}`,
        image.layers.map((l) => ({ id: shortDigest(l.descriptor.digest), size: l.descriptor.size })),
      );
      try {
        for (const [i, layer] of image.layers.entries()) {
          await storeLayer(
            {
              chainId: chains[i] as Digest,
              diffId: facts.diffIds[i] as Digest,
              blob: layer.descriptor,
              open: async (onBytes) =>
                verifyStream(
                  index.stream(layer.member),
                  layer.descriptor,
                  `layer ${layer.member.name}`,
                  onBytes,
                ),
            },
            {
              store,
              storage,
              ...(log ? { log } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              report: (id, state) => progress.update(id, state),
            },
          );
        }
      } finally {
        progress.end();
      }
      const committed = await store.commitImage({
        configBytes: image.configBytes,
        facts,
        chainIds: chains,
        manifests: image.manifests,
        tags: image.tags,
        digests: [],
      });
      log?.info({ id: committed.id, tags: image.tags.map((t) => t.toFamiliarString()) }, 'Image loaded');
      loaded.push({ id: committed.id, tags: image.tags.map((t) => t.toFamiliarString()) });
    }
    return loaded;
  });
}
