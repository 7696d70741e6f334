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

/**
 * An overlayfs mount the launcher makes at the rootfs path, inside the container's own mount
 * namespace: the host never sees it, nothing unmounts it (it goes with the namespace), and a run
 * loads no mount code of its own.
 */
export interface OverlayMount {
  /** Layer directories, topmost first (overlayfs' lowerdir order: the leftmost wins). */
  readonly lowerDirs: readonly string[];
  readonly upperDir: string;
  readonly workDir: string;
  /** No syncs of the upper layer (overlayfs `volatile`): for containers removed when they end. */
  readonly volatile: boolean;
  /**
   * mount(2) data for kernels without `lowerdir+` (before 6.8): absolute paths when they fit a
   * page, else short links relative to `cwd`; absent when the paths cannot be written in it.
   */
  readonly legacy?: { readonly data: string; readonly cwd?: string };
}

export interface PreparedRootfs {
  /** The directory to pivot_root into. */
  readonly path: string;
  readonly readOnly: boolean;
  /** Present when `path` is not mounted yet: the launcher mounts this overlay there, in the container. */
  readonly overlay?: OverlayMount;
  /**
   * Reads a regular file of the root filesystem as the container will see it (symlinks resolved
   * inside it), undefined when absent; for roots not mounted on the host (`overlay`).
   */
  readFile?(path: string): string | undefined;
}

export interface PrepareOptions {
  readonly readOnly: boolean;
  /**
   * The caller's launcher mounts the root itself, in the container's mount namespace (see
   * OverlayMount): a driver that can returns `overlay` instead of mounting; others ignore it.
   */
  readonly inContainer?: boolean;
  /** The container is removed when it ends: its writable layer needs no durability. */
  readonly volatile?: boolean;
}

/** Layer extraction and a container's root filesystem (overlayfs, or a fallback). */
/** What `StorageDriver.releaseLater` did. */
export interface DeferredRelease {
  /** Paths it could not release, as `release` returns them. */
  readonly left: readonly string[];
  /**
   * The directories it moved aside: nothing is mounted beneath them, and any process may remove
   * each, recursively (without following symlinks); `sweep` removes what nobody did.
   */
  readonly aside: readonly string[];
}

export interface StorageDriver {
  readonly name: string;
  /** Streams a (compressed) layer tar into `options.target`, safely. */
  applyLayer(stream: Readable, options: ApplyOptions): Promise<AppliedLayer>;
  /** Builds the root filesystem from layer directories, topmost first. */
  prepare(id: ContainerId, layerDirs: readonly string[], options: PrepareOptions): Promise<PreparedRootfs>;
  /** Unmounts (what is mounted on the host) and removes what `prepare` made; returns paths it could not remove. */
  release(id: ContainerId): Promise<string[]>;
  /**
   * The container ended and is kept (not `--rm`): unmounts what is mounted on the host for it but
   * keeps its files (its changes), for a later `start`, `cp`, `diff` or `export`, as Docker keeps
   * a stopped container's writable layer. `release` removes them with the container. A driver
   * without it is released instead.
   */
  unmount?(id: ContainerId): Promise<void>;
  /** IDs holding a prepared rootfs (mounted or not), for garbage collection after crashes. */
  list?(): Promise<ContainerId[]>;
  /**
   * `release` for a caller whose user is waiting (`run --rm` attached): unmounts, then moves the
   * files aside in one rename, for a process nobody waits for to remove (the container's monitor,
   * else `sweep`). A driver without it is released instead.
   */
  releaseLater?(id: ContainerId): Promise<DeferredRelease>;
  /** Removes what `releaseLater` moved aside (also after a crash); returns the paths removed. */
  sweep?(): Promise<string[]>;
}

export const Storage = contractKey<StorageDriver>('storage');
