import { execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConflictError, InvalidValueError, NotFoundError } from '@koker/core';
import { type SpecCgroupPath } from '@koker/engine';

/** What koker-runtime keeps per container in `<root>/<id>/state.json`. */
export interface RuntimeRecord {
  readonly id: string;
  readonly pid: number;
  /** /proc/<pid>/stat's start time: a PID reused by another process is not the container. */
  readonly startTime: string;
  readonly bundle: string;
  readonly created: string;
  readonly ociVersion: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly cgroup: SpecCgroupPath;
  readonly systemdCgroup: boolean;
}

export type RuntimeStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** runc's rule for IDs: letters, digits, `_+-.`, and not `.` or `..`. */
export function checkContainerId(id: string): string {
  if (!/^[\w+.-]+$/.test(id) || id === '.' || id === '..')
    throw new InvalidValueError('container ID', id, 'invalid id format');
  return id;
}

/** The process's start time, or undefined when it is gone or a zombie (ended, not yet reaped). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The directory of each container under --root: state.json, config.json, exec.fifo. */
export class RuntimeStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, checkContainerId(id));
  }

  fifo(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /**
   * Claims the ID: its directory, and the fifo the process waits on until `start` (not for `run`),
   * owned by `owner` when given (the container's root in a user namespace, which must open it).
   */
  claim(id: string, withFifo = true, owner?: { uid: number; gid: number }): string {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new ConflictError(`container with id exists: ${id}`);
      throw error;
    }
    if (withFifo) execFileSync('mkfifo', ['-m', '0622', this.fifo(id)]);
    if (withFifo && owner) chownSync(this.fifo(id), owner.uid, owner.gid);
    return dir;
  }

  save(record: RuntimeRecord, config: string): void {
    const dir = this.dir(record.id);
    writeFileSync(join(dir, 'config.json'), config);
    writeFileSync(join(dir, 'state.json.tmp'), JSON.stringify(record));
    renameSync(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
  }

  load(id: string): RuntimeRecord {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as RuntimeRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError('container does not exist');
      throw error;
    }
  }

  config(id: string): string {
    return readFileSync(join(this.dir(id), 'config.json'), 'utf8');
  }

  ids(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter((id) => existsSync(join(this.root, id, 'state.json')));
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** created (waiting on its fifo), running, or stopped; `paused` is the cgroup's to tell. */
  baseStatus(record: RuntimeRecord): 'created' | 'running' | 'stopped' {
    if (processStartTime(record.pid) !== record.startTime) return 'stopped';
    return existsSync(this.fifo(record.id)) ? 'created' : 'running';
  }
}

/** Writes a pid file as runc does: a temporary file renamed over the target. */
export function writePidFile(path: string, pid: number): void {
  const tmp = join(path, '..', `.${pid}.pid`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}
