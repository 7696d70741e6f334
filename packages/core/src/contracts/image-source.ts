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

/** A manifest or index exactly as served, already checked against its digest. */
export interface ManifestBlob {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly bytes: Uint8Array;
}

export interface ResolvedImage {
  readonly reference: ImageReference;
  /** Digest of the platform-specific manifest. */
  readonly manifestDigest: Digest;
  /** Digest of what the tag points at (an index, or the manifest itself): the repo digest. */
  readonly topDigest: Digest;
  /** The platform's manifest, verified. */
  readonly manifest: ManifestBlob;
  /** The index (or Docker manifest list) the reference pointed at, when there was one. */
  readonly index?: ManifestBlob;
  readonly config: Descriptor;
  /** The config blob, verified against `config.digest`. */
  readonly configBytes: Uint8Array;
  readonly layers: readonly Descriptor[];
  /** The platform that was chosen. */
  readonly platform: Platform;
  /** The registry (or mirror) that answered, e.g. `https://registry-1.docker.io`. */
  readonly endpoint: string;
}

export interface BlobOptions {
  readonly signal?: AbortSignal;
  /** Called with the count of newly received (compressed) bytes. */
  readonly onBytes?: (n: number) => void;
}

export interface ResolveOptions {
  readonly signal?: AbortSignal;
}

/** Where images come from: an OCI distribution registry (Docker Hub by default). */
export interface ImageSource {
  readonly name: string;
  /** Finds the manifest for `platform` (through an index if there is one) and its config. */
  resolve(reference: ImageReference, platform: Platform, options?: ResolveOptions): Promise<ResolvedImage>;
  /**
   * The blob's bytes as a stream that resumes after network faults and fails (instead of ending)
   * when the bytes do not match `descriptor.digest` or `descriptor.size`: a consumer must commit
   * nothing before the stream has ended without error.
   */
  openBlob(image: ResolvedImage, descriptor: Descriptor, options?: BlobOptions): Promise<Readable>;
}

export const ImageSources = contractKey<ImageSource>('image-source');
