import { mkdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import {
  ANONYMOUS_VOLUME_LABEL,
  ConflictError,
  InvalidValueError,
  NotFoundError,
  type ContainerMount,
  type ContainerRecord,
  type Logger,
  type MountRecord,
} from '@koker/core';
import { type MountRequest, type VolumesFromRequest } from './mount-request.js';
import { createVolume } from './create-volume.js';
import { DEFAULT_VOLUME_DRIVER, type VolumeDrivers } from './volume-drivers.js';

export interface ResolveMountsInput {
  readonly requests: readonly MountRequest[];
  readonly volumesFrom: readonly VolumesFromRequest[];
  /** The image's VOLUME entries (its config's Volumes keys). */
  readonly imageVolumes: readonly string[];
  /** The records of the containers `--volumes-from` names. */
  readonly findContainer: (nameOrId: string) => Promise<ContainerRecord>;
  readonly volumes: VolumeDrivers;
  readonly log: Logger;
  /**
   * The container's creation time: the volumes made for it are reported then, so their events
   * come before the container's `create`, as Docker's (it makes them while creating it).
   */
  readonly createdAt?: string;
}

export interface ResolvedMounts {
  readonly mounts: ContainerMount[];
  /** What `inspect` shows as Mounts. */
  readonly records: MountRecord[];
}

/** An anonymous volume's name: 64 hex digits, as Docker makes them. */
export function anonymousVolumeName(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The container's mounts decided, in Docker's order of precedence: the user's (`-v`,
 * `--mount`, `--tmpfs`; a target twice is an error), then `--volumes-from` and the image's
 * VOLUMEs where the user mounted nothing. Bind sources are looked at (`-v` makes a missing
 * directory, `--mount` refuses it); named volumes are created when missing, anonymous ones made.
 */
export async function resolveMounts(input: ResolveMountsInput): Promise<ResolvedMounts> {
  const mounts: ContainerMount[] = [];
  const records: MountRecord[] = [];
  const taken = new Set<string>();
  for (const request of input.requests) {
    if (taken.has(request.target))
      throw new InvalidValueError('mount', request.target, 'duplicate mount point', {
        hint: 'give each target once across -v, --mount and --tmpfs',
      });
    taken.add(request.target);
  }
  const fromOthers: ContainerMount[] = [];
  const fromOtherRecords: MountRecord[] = [];
  for (const from of input.volumesFrom) {
    const other = await input.findContainer(from.container);
    const spec = other.spec?.mounts ?? [];
    for (const mount of spec) {
      if (mount.type === 'tmpfs' || taken.has(mount.target)) continue;
      taken.add(mount.target);
      const readOnly = from.mode === undefined ? mount.readOnly : from.mode === 'ro';
      fromOthers.push({
        ...mount,
        readOnly,
        ...(mount.type === 'volume' ? { anonymous: false, noCopy: true } : {}),
      });
      const shown = other.mounts?.find((m) => m.destination === mount.target);
      if (shown) fromOtherRecords.push({ ...shown, readOnly, mode: from.mode ?? shown.mode ?? '' });
    }
  }
  for (const request of input.requests) {
    const resolved = await resolveRequest(request, input);
    mounts.push(resolved.mount);
    records.push(resolved.record);
  }
  mounts.push(...fromOthers);
  records.push(...fromOtherRecords);
  for (const path of input.imageVolumes) {
    const target = posix.normalize(path).replace(/(.)\/$/, '$1');
    if (!posix.isAbsolute(target) || target === '/' || taken.has(target)) continue;
    taken.add(target);
    const resolved = await resolveRequest(
      { type: 'volume', target, readOnly: false, noCopy: false, driverOptions: {}, labels: {}, mode: '' },
      input,
    );
    mounts.push(resolved.mount);
    records.push(resolved.record);
  }
  return { mounts, records };
}

async function resolveRequest(
  request: MountRequest,
  input: ResolveMountsInput,
): Promise<{ mount: ContainerMount; record: MountRecord }> {
  if (request.type === 'tmpfs') {
    return {
      mount: {
        type: 'tmpfs',
        target: request.target,
        readOnly: request.readOnly,
        flags: request.flags,
        data: request.data,
      },
      record: {
        type: 'tmpfs',
        source: '',
        destination: request.target,
        readOnly: request.readOnly,
        mode: request.data,
      },
    };
  }
  if (request.type === 'bind') {
    checkBindSource(request.source, request.createSource, input.log);
    return {
      mount: {
        type: 'bind',
        source: request.source,
        target: request.target,
        readOnly: request.readOnly,
        propagation: request.propagation,
      },
      record: {
        type: 'bind',
        source: request.source,
        destination: request.target,
        readOnly: request.readOnly,
        propagation: request.propagation,
        mode: request.mode,
      },
    };
  }
  const anonymous = request.name === undefined;
  const name = request.name ?? anonymousVolumeName();
  const driverName = request.driver ?? DEFAULT_VOLUME_DRIVER;
  const driver = await input.volumes.driver(driverName);
  let volume = await driver.get(name);
  if (!volume) {
    volume = await createVolume(
      input.volumes,
      driverName,
      {
        name,
        options: request.driverOptions,
        labels: anonymous ? { ...request.labels, [ANONYMOUS_VOLUME_LABEL]: '' } : request.labels,
      },
      input.createdAt,
    );
    input.log.debug({ volume: name, driver: driverName, anonymous }, 'Create volume for container');
  } else if (request.driver !== undefined && volume.driver !== request.driver) {
    throw new ConflictError(`volume ${name} exists with driver ${volume.driver}, not ${request.driver}`);
  }
  return {
    mount: {
      type: 'volume',
      name,
      driver: volume.driver,
      target: request.target,
      readOnly: request.readOnly,
      noCopy: request.noCopy,
      anonymous,
    },
    record: {
      type: 'volume',
      name,
      driver: volume.driver,
      source: volume.mountpoint,
      destination: request.target,
      readOnly: request.readOnly,
      mode: request.mode,
    },
  };
}

/** Docker's rules for a bind's source: `-v` makes a missing directory, `--mount` refuses it. */
function checkBindSource(source: string, create: boolean, log: Logger): void {
  let found;
  try {
    found = statSync(source);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (found) return;
  if (!create)
    throw new NotFoundError(
      `invalid mount config for type "bind": bind source path does not exist: ${source}`,
      {
        hint: 'create it first, or use -v, which creates a missing host directory',
      },
    );
  log.debug({ path: source }, 'Create missing bind source directory');
  mkdirSync(source, { recursive: true, mode: 0o755 });
}
