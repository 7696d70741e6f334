/** `bind-propagation` (Docker's values; `rprivate` is the default). */
export type MountPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export const MOUNT_PROPAGATIONS: readonly MountPropagation[] = [
  'private',
  'rprivate',
  'shared',
  'rshared',
  'slave',
  'rslave',
];

/** A host path bound at `target` (`-v /host:/ctr`, `--mount type=bind`). */
export interface BindMount {
  readonly type: 'bind';
  /** Absolute host path, checked to exist when the container was created. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly propagation: MountPropagation;
}

/** A volume mounted at `target`, by name (anonymous volumes got a generated one). */
export interface VolumeMount {
  readonly type: 'volume';
  readonly name: string;
  readonly driver: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** `nocopy`: an empty volume is not filled with what the image has at `target`. */
  readonly noCopy: boolean;
  /** Made for this container (`-v /ctr`, the image's VOLUME): `rm -v` and `--rm` remove it. */
  readonly anonymous: boolean;
}

/** A fresh tmpfs at `target` (`--tmpfs`, `--mount type=tmpfs`). */
export interface TmpfsMount {
  readonly type: 'tmpfs';
  readonly target: string;
  readonly readOnly: boolean;
  /** mount(2) flags by name, e.g. `noexec`, `nosuid`. */
  readonly flags: readonly string[];
  /** tmpfs options (`size=65536k,mode=1777`). */
  readonly data: string;
}

/** A mount the user (or the image's VOLUME) asked for, decided: what `start` mounts again. */
export type ContainerMount = BindMount | VolumeMount | TmpfsMount;
