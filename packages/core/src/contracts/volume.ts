import { type ContainerId } from '../domain/container-id.js';
import { contractKey } from './contract-key.js';

/** `koker volume create`: the name decided (given, or generated for an anonymous volume). */
export interface VolumeCreateRequest {
  readonly name: string;
  /** `--opt KEY=VALUE`: the driver's own options (the local driver's `type`, `device`, `o`). */
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** A volume as `volume inspect` shows it (Docker's shape, in camel case). */
export interface Volume {
  readonly name: string;
  readonly driver: string;
  /** Where the volume's data lives on the host (for `local`, `<root>/volumes/NAME/_data`). */
  readonly mountpoint: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  readonly scope: 'local' | 'global';
}

/**
 * What the launcher mounts at the container's target for a volume: a host directory it binds,
 * or a filesystem it mounts itself inside the container's mount namespace (a device, a tmpfs, an
 * NFS export), so nothing is left mounted on the host.
 */
export type VolumeSource =
  | { readonly kind: 'bind'; readonly path: string }
  | {
      readonly kind: 'filesystem';
      readonly fstype: string;
      readonly device: string;
      /** mount(2) flags by name (`ro`, `nosuid`, ...). */
      readonly flags: readonly string[];
      /** mount(2) data: the filesystem's own options. */
      readonly data: string;
    };

/**
 * Named storage that outlives containers. Unlike the other contracts, several volume drivers
 * serve at once: each volume names its driver (`--driver`, default `local`).
 */
export interface VolumeDriver {
  readonly name: string;
  /** Makes the volume; an existing one of that name is returned as it is (Docker's behaviour). */
  create(request: VolumeCreateRequest): Promise<Volume>;
  /** Undefined when there is no such volume. */
  get(name: string): Promise<Volume | undefined>;
  list(): Promise<Volume[]>;
  /** Removes the volume and its data; a missing one is a NotFoundError. */
  remove(name: string): Promise<void>;
  /** What the launcher mounts for `container`; the driver may prepare it (e.g. check a device). */
  mount(name: string, container: ContainerId): Promise<VolumeSource>;
  /** `container` no longer uses it: missing pieces are not an error. */
  unmount(name: string, container: ContainerId): Promise<void>;
}

export const Volumes = contractKey<VolumeDriver>('volume');

/** Docker's label on anonymous volumes: `rm -v`, `run --rm` and `volume prune` without -a take them. */
export const ANONYMOUS_VOLUME_LABEL = 'com.docker.volume.anonymous';

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. */
export function isVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name) && name.length <= 255;
}
