import { type MountPropagation } from '@koker/core';

/** `-v /host:/ctr` or `--mount type=bind`: parsed, the source not looked at yet. */
export interface BindRequest {
  readonly type: 'bind';
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly propagation: MountPropagation;
  /** `-v` makes a missing source directory; `--mount` refuses it (Docker's rules). */
  readonly createSource: boolean;
  /** Docker's Mode: what `-v` gave after the target (e.g. `ro,z`). */
  readonly mode: string;
}

/** `-v NAME:/ctr`, `-v /ctr` (anonymous: no name) or `--mount type=volume`. */
export interface VolumeRequest {
  readonly type: 'volume';
  readonly name?: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly noCopy: boolean;
  /** `volume-driver`; default `local`. */
  readonly driver?: string;
  /** `volume-opt` and `volume-label`: used when the volume is created by this mount. */
  readonly driverOptions: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly mode: string;
}

/** `--tmpfs PATH[:OPTS]` or `--mount type=tmpfs`. */
export interface TmpfsRequest {
  readonly type: 'tmpfs';
  readonly target: string;
  readonly readOnly: boolean;
  /** mount(2) flags by name. */
  readonly flags: readonly string[];
  /** tmpfs data: `size=...,mode=...` and the like. */
  readonly data: string;
}

export type MountRequest = BindRequest | VolumeRequest | TmpfsRequest;

/** `--volumes-from CONTAINER[:ro|rw]`: its volumes and binds, read-only or writable if asked. */
export interface VolumesFromRequest {
  readonly container: string;
  readonly mode?: 'ro' | 'rw';
}
