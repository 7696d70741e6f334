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
}

export interface ImageRecord {
  /** The config digest: the image ID. */
  readonly id: Digest;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly created?: string;
  readonly architecture: string;
  readonly os: string;
  /** Bytes on disk of all its layers. */
  readonly size: number;
  /** Uncompressed layer digests, base first. */
  readonly diffIds: readonly Digest[];
  readonly config: ImageRunConfig;
}

/** Images, tags and layers on disk: content-addressed, verified, atomic, safe across processes. */
export interface ImageStore {
  list(): Promise<ImageRecord[]>;
  /** By reference (tag or digest), full or short ID. */
  find(nameOrId: string | ImageReference): Promise<ImageRecord | undefined>;
  /** Layer directories of an image, topmost first (the order overlayfs' lowerdir wants). */
  layerDirs(image: ImageRecord): Promise<string[]>;
}

export const Images = contractKey<ImageStore>('image-store');
