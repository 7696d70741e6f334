import { type Readable } from 'node:stream';
import { type ContainerId } from '../domain/container-id.js';
import { type Digest } from '../domain/digest.js';
import { contractKey } from './contract-key.js';

/** A layer applied to its own directory, identified by the digest of its uncompressed tar. */
export interface AppliedLayer {
  readonly diffId: Digest;
  /** Bytes written to disk. */
  readonly size: number;
}

/** Bounds a layer must stay within (decompression bombs); drivers have generous defaults. */
export interface LayerLimits {
  /** Uncompressed bytes of the tar stream. */
  readonly maxBytes: number;
  /** Tar entries (PAX and GNU extension headers are bounded in size instead). */
  readonly maxEntries: number;
}

export interface ApplyOptions {
  /** Directory the layer is written into; must not exist yet (its parent is created). */
  readonly target: string;
  /**
   * The layer's media type (OCI or Docker, plain, gzip or zstd): anything else is refused. The
   * compression itself is recognised from the stream's first bytes, as Docker does.
   */
  readonly mediaType: string;
  readonly signal?: AbortSignal;
  /** Called with uncompressed bytes consumed so far. */
  readonly onProgress?: (bytes: number) => void;
  /** Overrides the driver's limits for this layer. */
  readonly limits?: Partial<LayerLimits>;
}

export interface PreparedRootfs {
  /** The directory to pivot_root into. */
  readonly path: string;
  readonly readOnly: boolean;
}

/** Layer extraction and a container's root filesystem (overlayfs, or a fallback). */
export interface StorageDriver {
  readonly name: string;
  /** Streams a (compressed) layer tar into `options.target`, safely. */
  applyLayer(stream: Readable, options: ApplyOptions): Promise<AppliedLayer>;
  /** Builds the root filesystem from layer directories, topmost first. */
  prepare(
    id: ContainerId,
    layerDirs: readonly string[],
    options: { readOnly: boolean },
  ): Promise<PreparedRootfs>;
  /** Unmounts and removes what `prepare` made; returns paths it could not remove. */
  release(id: ContainerId): Promise<string[]>;
  /** IDs holding a prepared rootfs (mounted or not), for garbage collection after crashes. */
  list?(): Promise<ContainerId[]>;
}

export const Storage = contractKey<StorageDriver>('storage');
