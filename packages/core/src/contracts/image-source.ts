import { type Readable } from 'node:stream';
import { type Digest } from '../domain/digest.js';
import { type ImageReference } from '../domain/image-reference.js';
import { type Platform } from '../domain/platform.js';
import { contractKey } from './contract-key.js';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

export interface ResolvedImage {
  readonly reference: ImageReference;
  /** Digest of the platform-specific manifest. */
  readonly manifestDigest: Digest;
  /** Digest of what the tag points at (an index, or the manifest itself). */
  readonly topDigest: Digest;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

/** Where images come from: an OCI distribution registry (Docker Hub by default). */
export interface ImageSource {
  readonly name: string;
  resolve(reference: ImageReference, platform: Platform): Promise<ResolvedImage>;
  /** A stream of the blob's bytes that fails if they do not match `descriptor.digest`. */
  openBlob(
    reference: ImageReference,
    descriptor: Descriptor,
    options?: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): Promise<Readable>;
}

export const ImageSources = contractKey<ImageSource>('image-source');
