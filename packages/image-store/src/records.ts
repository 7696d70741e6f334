import { readFile } from 'node:fs/promises';
import { type Descriptor, type ImageRunConfig, isDigest, type Digest } from '@koker/core';

/** What the store knows of one image (images/sha256/<id>.json); tags live in repositories.json. */
export interface StoredImage {
  readonly version: 1;
  readonly id: Digest;
  readonly created?: string;
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly diffIds: readonly Digest[];
  readonly chainIds: readonly Digest[];
  /** Sum of its layers' sizes on disk. */
  readonly size: number;
  readonly config: ImageRunConfig;
  /** Manifests (and indexes) this image was received as: kept as blobs. */
  readonly manifests: readonly Descriptor[];
  readonly stored: string;
  /** The image it was made from (commit, build); intermediate build images are hidden by `images`. */
  readonly parent?: Digest;
}

/** One extracted layer (layers/sha256/<chain>/layer.json), written last inside its directory. */
export interface StoredLayer {
  readonly version: 1;
  readonly chainId: Digest;
  readonly diffId: Digest;
  /** Bytes the extracted layer takes. */
  readonly size: number;
  /** Blobs (compressed or not) known to unpack to this layer: `image save` writes one of them. */
  readonly blobs: readonly Descriptor[];
}

function digestList(value: unknown): value is Digest[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && isDigest(v));
}

/** Reads a JSON record, or undefined when it is missing or does not parse (a reader never fails on it). */
async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function readStoredImage(path: string): Promise<StoredImage | undefined> {
  const json = await readJson(path);
  if (!json || json.version !== 1 || typeof json.id !== 'string' || !isDigest(json.id)) return undefined;
  if (
    !digestList(json.diffIds) ||
    !digestList(json.chainIds) ||
    json.diffIds.length !== json.chainIds.length
  ) {
    return undefined;
  }
  return json as unknown as StoredImage;
}

export async function readStoredLayer(path: string): Promise<StoredLayer | undefined> {
  const json = await readJson(path);
  if (!json || json.version !== 1 || typeof json.chainId !== 'string' || !isDigest(json.chainId))
    return undefined;
  if (typeof json.diffId !== 'string' || !isDigest(json.diffId) || !Array.isArray(json.blobs))
    return undefined;
  return json as unknown as StoredLayer;
}
