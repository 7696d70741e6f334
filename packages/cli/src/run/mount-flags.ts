import { posix } from 'node:path';
import {
  InvalidValueError,
  MOUNT_PROPAGATIONS,
  isVolumeName,
  parseByteSize,
  type MountPropagation,
} from '@koker/core';
import {
  type BindRequest,
  type MountRequest,
  type TmpfsRequest,
  type VolumeRequest,
  type VolumesFromRequest,
} from '@koker/engine';

const isPropagation = (value: string): value is MountPropagation =>
  (MOUNT_PROPAGATIONS as readonly string[]).includes(value);

/** A container path: absolute, normalised, not `/` itself. */
function containerPath(flag: string, spec: string, path: string): string {
  if (!posix.isAbsolute(path))
    throw new InvalidValueError(flag, spec, `the mount path "${path}" in the container must be absolute`);
  const normal = posix.normalize(path).replace(/(.)\/$/, '$1');
  if (normal === '/') throw new InvalidValueError(flag, spec, "the destination can't be '/'");
  return normal;
}

// The -v modes Docker accepts: access, SELinux relabelling (koker has no SELinux: accepted),
// macOS consistency (meaningless here: accepted), nocopy for volumes, propagation for binds.
const IGNORED_MODES = new Set(['z', 'Z', 'consistent', 'cached', 'delegated']);

/**
 * `-v`/`--volume`, Docker's syntax: `/ctr` (an anonymous volume), `SRC:/ctr[:MODES]` where an
 * absolute SRC is a host path (made if missing) and anything else a volume name; MODES is a
 * comma list of `ro|rw`, `z|Z`, `nocopy` (volumes), a propagation (binds).
 */
export function parseVolumeFlag(spec: string): MountRequest {
  const flag = '-v/--volume';
  const parts = spec.split(':');
  if (spec === '' || parts.length > 3 || parts.some((p) => p === ''))
    throw new InvalidValueError(flag, spec, 'expected [SOURCE:]TARGET[:MODES]');
  if (parts.length === 1) {
    return {
      type: 'volume',
      target: containerPath(flag, spec, parts[0]!),
      readOnly: false,
      noCopy: false,
      driverOptions: {},
      labels: {},
      mode: '',
    };
  }
  const [source = '', rawTarget = '', mode = ''] = parts;
  const target = containerPath(flag, spec, rawTarget);
  const bind = source.startsWith('/');
  if (!bind && !isVolumeName(source))
    throw new InvalidValueError(
      flag,
      spec,
      `"${source}" includes invalid characters for a local volume name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      { hint: 'to pass a host directory, use an absolute path' },
    );
  let readOnly = false;
  let access = 0;
  let noCopy = false;
  let propagation: MountPropagation | undefined;
  for (const item of mode.split(',').filter(Boolean)) {
    if (item === 'ro' || item === 'rw') {
      readOnly = item === 'ro';
      access++;
    } else if (item === 'nocopy' && !bind) noCopy = true;
    else if (isPropagation(item) && bind) {
      if (propagation) throw new InvalidValueError(flag, spec, 'more than one propagation mode');
      propagation = item;
    } else if (!IGNORED_MODES.has(item))
      throw new InvalidValueError(flag, spec, `invalid mode "${item}"`, {
        hint: bind
          ? 'a bind takes ro|rw, z|Z and a propagation (rprivate, rshared, rslave, ...)'
          : 'a volume takes ro|rw, z|Z and nocopy',
      });
  }
  if (access > 1) throw new InvalidValueError(flag, spec, 'more than one of ro and rw');
  if (bind) {
    return {
      type: 'bind',
      source: posix.normalize(source).replace(/(.)\/$/, '$1'),
      target,
      readOnly,
      propagation: propagation ?? 'rprivate',
      createSource: true,
      mode,
    } satisfies BindRequest;
  }
  return { type: 'volume', name: source, target, readOnly, noCopy, driverOptions: {}, labels: {}, mode };
}

/** Splits Docker's CSV (`a=b,"c=d,e"`): a field in double quotes may hold commas. */
function csvFields(flag: string, spec: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === '"') {
      if (quoted && spec[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new InvalidValueError(flag, spec, 'a quote is not closed');
  fields.push(field);
  return fields;
}

function bool(flag: string, spec: string, key: string, value: string | undefined): boolean {
  if (value === undefined || ['true', '1'].includes(value.toLowerCase())) return true;
  if (['false', '0'].includes(value.toLowerCase())) return false;
  throw new InvalidValueError(flag, spec, `invalid value for ${key}: ${value}`);
}

function keyValue(flag: string, spec: string, key: string, value: string | undefined): [string, string] {
  const at = value?.indexOf('=') ?? -1;
  if (value === undefined || at <= 0)
    throw new InvalidValueError(flag, spec, `${key} takes KEY=VALUE, got ${JSON.stringify(value ?? '')}`);
  return [value.slice(0, at), value.slice(at + 1)];
}

function octalMode(flag: string, spec: string, value: string): number {
  if (!/^[0-7]{1,4}$/.test(value))
    throw new InvalidValueError(flag, spec, `tmpfs-mode must be octal permission bits, got ${value}`);
  return Number.parseInt(value, 8);
}

/**
 * `--mount`, Docker's syntax: CSV of `type=bind|volume|tmpfs` (default volume), `source|src`,
 * `target|dst|destination`, `readonly|ro[=BOOL]`, `bind-propagation`, `volume-nocopy`,
 * `volume-driver`, `volume-opt=K=V`, `volume-label=K=V`, `tmpfs-size`, `tmpfs-mode`. Options
 * of another type than the mount's are refused.
 */
export function parseMountFlag(spec: string): MountRequest {
  const flag = '--mount';
  let type: 'bind' | 'volume' | 'tmpfs' = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let propagation: MountPropagation | undefined;
  let noCopy = false;
  let driver: string | undefined;
  const driverOptions: Record<string, string> = {};
  const labels: Record<string, string> = {};
  let size: number | undefined;
  let mode: number | undefined;
  const used = { bind: [] as string[], volume: [] as string[], tmpfs: [] as string[] };
  for (const field of csvFields(flag, spec)) {
    const at = field.indexOf('=');
    const key = (at < 0 ? field : field.slice(0, at)).trim().toLowerCase();
    const value = at < 0 ? undefined : field.slice(at + 1);
    const needValue = () => {
      if (value === undefined || value === '')
        throw new InvalidValueError(flag, spec, `${key} needs a value (${key}=...)`);
      return value;
    };
    switch (key) {
      case 'type': {
        const t = needValue();
        if (t !== 'bind' && t !== 'volume' && t !== 'tmpfs')
          throw new InvalidValueError(flag, spec, `unknown mount type "${t}"`, {
            hint: 'koker mounts bind, volume and tmpfs',
          });
        type = t;
        break;
      }
      case 'source':
      case 'src':
        source = needValue();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = needValue();
        break;
      case 'readonly':
      case 'ro':
        readOnly = bool(flag, spec, key, value);
        break;
      case 'consistency':
        break;
      case 'bind-propagation': {
        const p = needValue();
        if (!isPropagation(p))
          throw new InvalidValueError(flag, spec, `invalid bind-propagation "${p}"`, {
            hint: `use one of ${MOUNT_PROPAGATIONS.join(', ')}`,
          });
        propagation = p;
        used.bind.push(key);
        break;
      }
      case 'volume-nocopy':
        noCopy = bool(flag, spec, key, value);
        used.volume.push(key);
        break;
      case 'volume-driver':
        driver = needValue();
        used.volume.push(key);
        break;
      case 'volume-opt': {
        const [k, v] = keyValue(flag, spec, key, value);
        driverOptions[k] = v;
        used.volume.push(key);
        break;
      }
      case 'volume-label': {
        const [k, v] = keyValue(flag, spec, key, value);
        labels[k] = v;
        used.volume.push(key);
        break;
      }
      case 'tmpfs-size':
        size = parseByteSize(needValue());
        used.tmpfs.push(key);
        break;
      case 'tmpfs-mode':
        mode = octalMode(flag, spec, needValue());
        used.tmpfs.push(key);
        break;
      default:
        throw new InvalidValueError(flag, spec, `unexpected key "${key}"`);
    }
  }
  for (const other of ['bind', 'volume', 'tmpfs'] as const) {
    if (other !== type && used[other].length > 0)
      throw new InvalidValueError(flag, spec, `cannot mix ${used[other].join(', ')} with type=${type}`);
  }
  if (target === undefined) throw new InvalidValueError(flag, spec, 'target is required');
  const dest = containerPath(flag, spec, target);
  if (type === 'bind') {
    if (source === undefined) throw new InvalidValueError(flag, spec, 'a bind needs a source');
    if (!posix.isAbsolute(source))
      throw new InvalidValueError(flag, spec, `the bind source "${source}" must be an absolute path`);
    return {
      type,
      source: posix.normalize(source).replace(/(.)\/$/, '$1'),
      target: dest,
      readOnly,
      propagation: propagation ?? 'rprivate',
      createSource: false,
      mode: '',
    };
  }
  if (type === 'tmpfs') {
    if (source !== undefined) throw new InvalidValueError(flag, spec, 'a tmpfs takes no source');
    return tmpfsRequest(
      dest,
      readOnly,
      [],
      [
        ...(size !== undefined ? [`size=${size}`] : []),
        ...(mode !== undefined ? [`mode=${mode.toString(8)}`] : []),
      ],
    );
  }
  if (source !== undefined && !isVolumeName(source))
    throw new InvalidValueError(flag, spec, `invalid volume name "${source}"`, {
      hint: 'use [a-zA-Z0-9][a-zA-Z0-9_.-]+, or type=bind for a host path',
    });
  return {
    type,
    ...(source !== undefined ? { name: source } : {}),
    target: dest,
    readOnly,
    noCopy,
    ...(driver !== undefined ? { driver } : {}),
    driverOptions,
    labels,
    mode: '',
  } satisfies VolumeRequest;
}

// Docker's default for a tmpfs: no executables, no set-uid, no devices.
const TMPFS_DEFAULT_FLAGS = ['noexec', 'nosuid', 'nodev'];
const TMPFS_FLAG_OPPOSITES: Record<string, string> = {
  exec: 'noexec',
  suid: 'nosuid',
  dev: 'nodev',
  rw: 'ro',
};
const TMPFS_FLAGS = new Set([
  'ro',
  'noexec',
  'nosuid',
  'nodev',
  'noatime',
  'relatime',
  'strictatime',
  ...Object.keys(TMPFS_FLAG_OPPOSITES),
]);
// tmpfs' own options (mount(8), tmpfs(5)) and their values.
const TMPFS_DATA =
  /^(size=\d+[kmg%]?|nr_blocks=\d+[kmg]?|nr_inodes=\d+[kmg]?|mode=[0-7]{1,4}|uid=\d+|gid=\d+|huge=\w+|mpol=[\w:,-]+)$/i;

function tmpfsRequest(target: string, readOnly: boolean, options: string[], data: string[]): TmpfsRequest {
  const flags = new Set(TMPFS_DEFAULT_FLAGS);
  let ro = readOnly;
  for (const option of options) {
    if (option === 'ro') ro = true;
    else if (option === 'rw') ro = false;
    else if (option in TMPFS_FLAG_OPPOSITES) flags.delete(TMPFS_FLAG_OPPOSITES[option]!);
    else flags.add(option);
  }
  return {
    type: 'tmpfs',
    target,
    readOnly: ro,
    flags: [...flags, ...(ro ? ['ro'] : [])],
    data: data.join(','),
  };
}

/** `--tmpfs PATH[:OPTIONS]`: mount(8)'s tmpfs options (`size=64m,mode=1777,uid=1000,exec`). */
export function parseTmpfsFlag(spec: string): TmpfsRequest {
  const flag = '--tmpfs';
  const at = spec.indexOf(':');
  const path = at < 0 ? spec : spec.slice(0, at);
  const target = containerPath(flag, spec, path);
  const options: string[] = [];
  const data: string[] = [];
  for (const option of (at < 0 ? '' : spec.slice(at + 1)).split(',').filter(Boolean)) {
    if (TMPFS_FLAGS.has(option)) options.push(option);
    else if (TMPFS_DATA.test(option)) data.push(option);
    else
      throw new InvalidValueError(flag, spec, `unknown tmpfs option "${option}"`, {
        hint: 'use size=, mode=, uid=, gid=, nr_inodes= and ro, exec, suid, dev, noatime',
      });
  }
  return tmpfsRequest(target, false, options, data);
}

/** `--volumes-from CONTAINER[:ro|rw]`. */
export function parseVolumesFromFlag(spec: string): VolumesFromRequest {
  const [container = '', mode, ...rest] = spec.split(':');
  if (container === '' || rest.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw'))
    throw new InvalidValueError('--volumes-from', spec, 'expected CONTAINER[:ro|rw]');
  return { container, ...(mode ? { mode } : {}) };
}
