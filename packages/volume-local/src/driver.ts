import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConflictError,
  InvalidValueError,
  NotFoundError,
  isVolumeName,
  type ContainerId,
  type DriverContext,
  type Logger,
  type Volume,
  type VolumeCreateRequest,
  type VolumeDriver,
  type VolumeSource,
} from '@koker/core';
import { optionSource, parseLocalOptions } from './local-options.js';

/** What `<root>/volumes/NAME/volume.json` keeps; the data is beside it in `_data`. */
interface VolumeFile {
  readonly createdAt: string;
  readonly labels: Record<string, string>;
  readonly options: Record<string, string>;
}

/**
 * Docker's `local` driver: a directory per volume under `<root>/volumes`, or (with `--opt`) a
 * device, a tmpfs or a host path that the launcher mounts inside the container, so nothing is
 * ever left mounted on the host.
 */
export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';
  private readonly dir: string;
  private readonly log: Logger;

  constructor(context: Pick<DriverContext, 'config' | 'log'>) {
    this.dir = join(context.config.root, 'volumes');
    this.log = context.log;
  }

  private path(name: string): string {
    if (!isVolumeName(name))
      throw new InvalidValueError(
        'volume name',
        name,
        'use [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters or more)',
      );
    return join(this.dir, name);
  }

  async create(request: VolumeCreateRequest): Promise<Volume> {
    const dir = this.path(request.name);
    const options = parseLocalOptions(request.options);
    await mkdir(this.dir, { recursive: true, mode: 0o701 });
    // The directory appears whole or not at all: made under a temporary name, then renamed.
    const staging = join(this.dir, `.new-${request.name}-${process.pid}-${Date.now()}`);
    await mkdir(join(staging, '_data'), { recursive: true, mode: 0o755 });
    const file: VolumeFile = {
      createdAt: new Date().toISOString(),
      labels: { ...request.labels },
      options: { ...options },
    };
    await writeFile(join(staging, 'volume.json'), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    try {
      await rename(staging, dir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      // Docker: creating a volume that exists returns it.
      const existing = await this.get(request.name);
      if (!existing) throw error;
      return existing;
    }
    this.log.debug({ volume: request.name, path: join(dir, '_data') }, 'Create volume');
    return this.volume(request.name, file);
  }

  async get(name: string): Promise<Volume | undefined> {
    const dir = this.path(name);
    let text: string;
    try {
      text = await readFile(join(dir, 'volume.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return this.volume(name, parseVolumeFile(text, name));
  }

  async list(): Promise<Volume[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const volumes: Volume[] = [];
    for (const name of names.filter(isVolumeName).sort()) {
      const volume = await this.get(name).catch((error: unknown) => {
        this.log.warn({ volume: name, err: error }, 'Skip a volume whose record cannot be read');
        return undefined;
      });
      if (volume) volumes.push(volume);
    }
    return volumes;
  }

  async remove(name: string): Promise<void> {
    const dir = this.path(name);
    if (!(await this.get(name))) throw new NotFoundError(`no such volume: ${name}`);
    // Renamed away first: a half-removed volume is never listed.
    const doomed = join(this.dir, `.rm-${name}-${process.pid}-${Date.now()}`);
    await rename(dir, doomed);
    await rm(doomed, { recursive: true, force: true });
    this.log.debug({ volume: name }, 'Remove volume');
  }

  async mount(name: string, container: ContainerId): Promise<VolumeSource> {
    const volume = await this.get(name);
    if (!volume) throw new NotFoundError(`no such volume: ${name}`);
    const source = optionSource(parseLocalOptions(volume.options)) ?? {
      kind: 'bind',
      path: volume.mountpoint,
    };
    if (source.kind === 'bind') {
      const found = await stat(source.path).catch(() => undefined);
      if (!found)
        throw new NotFoundError(`the path of volume ${name} does not exist: ${source.path}`, {
          hint: 'create it, or remove the volume and create it again with an existing device path',
        });
    } else if (source.device.startsWith('/') && !(await stat(source.device).catch(() => undefined))) {
      throw new ConflictError(`the device of volume ${name} does not exist: ${source.device}`);
    }
    this.log.debug(
      { volume: name, container: container.slice(0, 12), source: describe(source) },
      'Mount volume',
    );
    return source;
  }

  async unmount(): Promise<void> {
    // Mounted inside the container's own mount namespace: it goes with the namespace.
  }

  private volume(name: string, file: VolumeFile): Volume {
    return {
      name,
      driver: this.name,
      mountpoint: join(this.dir, name, '_data'),
      createdAt: file.createdAt,
      labels: file.labels,
      options: file.options,
      scope: 'local',
    };
  }
}

function describe(source: VolumeSource): string {
  return source.kind === 'bind' ? source.path : `${source.fstype}:${source.device}`;
}

function parseVolumeFile(text: string, name: string): VolumeFile {
  const raw = JSON.parse(text) as Partial<VolumeFile>;
  const record = (value: unknown, field: string): Record<string, string> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InvalidValueError(`volume ${name}`, field, 'expected an object');
    for (const item of Object.values(value))
      if (typeof item !== 'string') throw new InvalidValueError(`volume ${name}`, field, 'expected strings');
    return value as Record<string, string>;
  };
  if (typeof raw.createdAt !== 'string')
    throw new InvalidValueError(`volume ${name}`, 'createdAt', 'missing');
  return {
    createdAt: raw.createdAt,
    labels: record(raw.labels, 'labels'),
    options: record(raw.options, 'options'),
  };
}
