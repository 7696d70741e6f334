import { posix } from 'node:path';
import { DockerfileError } from '../dockerfile/dockerfile-error.js';

/** `RUN --mount=type=cache`: a directory kept between builds under koker's root, one per id. */
export interface CacheMountSpec {
  readonly type: 'cache';
  readonly target: string;
  readonly id: string;
  /** shared: used by several steps at once; locked: one at a time; private: a new one when in use. */
  readonly sharing: 'shared' | 'private' | 'locked';
  /** A stage, image or `context` whose `source` seeds a new cache. */
  readonly from?: string;
  readonly source: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly readonly: boolean;
}

/** `RUN --mount=type=tmpfs`. */
export interface TmpfsMountSpec {
  readonly type: 'tmpfs';
  readonly target: string;
  /** Bytes; the kernel's default (half the memory) when absent. */
  readonly size?: number;
}

/** `RUN --mount=type=bind`: files of the context (default), a stage or an image; read-only unless `rw`. */
export interface BindMountSpec {
  readonly type: 'bind';
  readonly target: string;
  readonly from?: string;
  readonly source: string;
  readonly readwrite: boolean;
}

/** `RUN --mount=type=secret`: a file holding a secret the build was given (`--secret`), read-only. */
export interface SecretMountSpec {
  readonly type: 'secret';
  readonly id: string;
  readonly target: string;
  /** Fail when the build was given no such secret (else the mount is left out). */
  readonly required: boolean;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export type RunMountSpec = CacheMountSpec | TmpfsMountSpec | BindMountSpec | SecretMountSpec;

const SIZE = /^(\d+)([kmg]?)b?$/i;

function octal(value: string, line: number): number {
  if (!/^[0-7]{1,4}$/.test(value)) throw new DockerfileError(`invalid mode ${value} in --mount`, line);
  return parseInt(value, 8);
}

function id(value: string, what: string, line: number): number {
  if (!/^\d+$/.test(value)) throw new DockerfileError(`invalid ${what} ${value} in --mount: a number`, line);
  return Number(value);
}

function bool(value: string | undefined, line: number): boolean {
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  throw new DockerfileError(`invalid boolean ${value} in --mount`, line);
}

/**
 * One `RUN --mount=` value as BuildKit reads it: comma-separated `key=value` fields (`type`
 * defaults to bind; `target`, `dst` or `destination`; `source` or `src`; `ro`/`rw` alone mean
 * true), the target resolved against the working directory (a secret's defaults to
 * /run/secrets/ID). SSH agents and unknown fields are refused by name.
 */
export function parseRunMount(text: string, workdir: string, line: number): RunMountSpec {
  const fields = new Map<string, string | undefined>();
  for (const field of text.split(',')) {
    if (field === '') continue;
    const at = field.indexOf('=');
    const key = (at < 0 ? field : field.slice(0, at)).toLowerCase();
    fields.set(key, at < 0 ? undefined : field.slice(at + 1));
  }
  const take = (...keys: string[]) => {
    for (const key of keys) {
      if (fields.has(key)) {
        const value = fields.get(key);
        for (const k of keys) fields.delete(k);
        return value ?? 'true';
      }
    }
    return undefined;
  };
  const type = take('type') ?? 'bind';
  if (type === 'ssh')
    throw new DockerfileError(`RUN --mount=type=${type} is not supported by koker yet`, line);
  let rawTarget = take('target', 'dst', 'destination');
  let secretId: string | undefined;
  if (type === 'secret') {
    secretId = take('id') ?? (rawTarget ? posix.basename(rawTarget) : undefined);
    if (!secretId) throw new DockerfileError(`--mount=${text}: a secret needs an id or a target`, line);
    rawTarget ??= `/run/secrets/${secretId}`;
  }
  if (!rawTarget) throw new DockerfileError(`--mount=${text}: a target is required`, line);
  const target = posix.resolve(workdir || '/', rawTarget);
  const rest = () => {
    const [unknown] = fields.keys();
    if (unknown !== undefined)
      throw new DockerfileError(`--mount=${text}: unexpected key '${unknown}' for type=${type}`, line);
  };
  const readonlyFlag = () => {
    const ro = take('ro', 'readonly');
    const rw = take('rw', 'readwrite');
    if (ro !== undefined) return bool(ro, line);
    if (rw !== undefined) return !bool(rw, line);
    return undefined;
  };
  if (type === 'cache') {
    const sharing = take('sharing') ?? 'shared';
    if (sharing !== 'shared' && sharing !== 'private' && sharing !== 'locked')
      throw new DockerfileError(`--mount=${text}: sharing is shared, private or locked`, line);
    const from = take('from');
    const spec: CacheMountSpec = {
      type,
      target,
      id: take('id') ?? target,
      sharing,
      ...(from !== undefined ? { from } : {}),
      source: take('source', 'src') ?? '/',
      mode: octal(take('mode') ?? '755', line),
      uid: id(take('uid') ?? '0', 'uid', line),
      gid: id(take('gid') ?? '0', 'gid', line),
      readonly: readonlyFlag() ?? false,
    };
    rest();
    return spec;
  }
  if (type === 'tmpfs') {
    const size = take('size', 'tmpfs-size');
    let bytes: number | undefined;
    if (size !== undefined) {
      const match = SIZE.exec(size);
      if (!match) throw new DockerfileError(`--mount=${text}: invalid size ${size}`, line);
      const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
        (match[2] as string).toLowerCase()
      ] as number;
      bytes = Number(match[1]) * unit;
    }
    rest();
    return { type, target, ...(bytes !== undefined ? { size: bytes } : {}) };
  }
  if (type === 'bind') {
    const from = take('from');
    const spec: BindMountSpec = {
      type,
      target,
      ...(from !== undefined ? { from } : {}),
      source: take('source', 'src') ?? '/',
      readwrite: readonlyFlag() === false,
    };
    rest();
    return spec;
  }
  if (type === 'secret') {
    const spec: SecretMountSpec = {
      type,
      id: secretId as string,
      target,
      required: bool(take('required') ?? 'false', line),
      mode: octal(take('mode') ?? '400', line),
      uid: id(take('uid') ?? '0', 'uid', line),
      gid: id(take('gid') ?? '0', 'gid', line),
    };
    rest();
    return spec;
  }
  throw new DockerfileError(`--mount=${text}: unknown mount type ${type}`, line);
}
