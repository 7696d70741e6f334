import { type Digest } from '../domain/digest.js';
import { type ImageReference } from '../domain/image-reference.js';
import { contractKey } from './contract-key.js';

/** The parts of an OCI image config a run uses (the `config` object of the config blob). */
export interface ImageRunConfig {
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, object>>;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly StopSignal?: string;
  /** VOLUME entries: each path becomes an anonymous volume of a container that mounts nothing there. */
  readonly Volumes?: Record<string, object>;
  /** The image's HEALTHCHECK, durations in nanoseconds (Docker's format). */
  readonly Healthcheck?: ImageHealthcheck;
}

/** Docker's `Healthcheck` of an image config: Test is `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", "..."]`. */
export interface ImageHealthcheck {
  readonly Test?: readonly string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly StartPeriod?: number;
  readonly StartInterval?: number;
  readonly Retries?: number;
}

export interface ImageRecord {
  /** The config digest: the image ID. */
  readonly id: Digest;
  /** Familiar `name:tag` forms, sorted: `busybox:latest`, `localhost:5000/app:1`. */
  readonly repoTags: readonly string[];
  /** `name@sha256:...` of the manifest (or index) each repository served it as. */
  readonly repoDigests: readonly string[];
  readonly created?: string;
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  /** Bytes on disk of all its layers (uncompressed). */
  readonly size: number;
  /** Uncompressed layer digests, base first. */
  readonly diffIds: readonly Digest[];
  /** Chain IDs of its layers, base first: the names of the stored layer directories. */
  readonly chainIds: readonly Digest[];
  readonly config: ImageRunConfig;
  /** When this store got the image (ISO 8601). */
  readonly stored: string;
}

/** Images, tags and layers on disk: content-addressed, verified, atomic, safe across processes. */
export interface ImageStore {
  /** Every complete image, sorted by repository, tag, then ID. */
  list(): Promise<ImageRecord[]>;
  /** By reference (tag or digest), full or short ID (unique prefix of at least 4 hex digits). */
  find(nameOrId: string | ImageReference): Promise<ImageRecord | undefined>;
  /** Layer directories of an image, topmost first (the order overlayfs' lowerdir wants). */
  layerDirs(image: ImageRecord): Promise<string[]>;
  /** The config blob exactly as pulled or loaded. */
  configBlob(image: ImageRecord): Promise<Uint8Array>;
}

export const Images = contractKey<ImageStore>('image-store');
