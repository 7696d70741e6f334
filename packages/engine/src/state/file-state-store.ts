import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BrokenRecord,
  type ContainerListing,
  type ContainerRecord,
  type HeldLock,
  type NewContainerRecord,
  type StateStore,
  resolveContainerIdPrefix,
  shortContainerId,
  type ContainerId,
  generateContainerName,
  type ContainerName,
  ConflictError,
  NotFoundError,
  StateError,
  readMountInfo,
  type Logger,
} from '@koker/core';
import { crashPoint } from '../run/crash-point.js';
import { syncDirectory, writeFileAtomic, isFlockHeld, acquireFileLock, withFileLock } from '@koker/host';
import { decodeContainerRecord, encodeContainerRecord, RecordFormatError } from './container-record-codec.js';

const ID_DIR = /^[0-9a-f]{64}$/;
const RECORD_FILE = 'config.json';
const CONTAINER_LOCK = 'lock';
const KEEPER_LOCK = 'keeper.lock';
// Directories a crash can leave: a record being created, or one being removed.
const STAGING_PREFIX = '.new-';
const TRASH_PREFIX = '.removing-';

export interface FileStateStoreOptions {
  /** How long to wait for the store lock (record writes are short); default 30 s. */
  readonly lockTimeoutMs?: number;
  /** Mount points now, to refuse removing a directory something is mounted under. */
  readonly mountPoints?: () => readonly string[];
}

/**
 * Container records as files: `<root>/containers/<id>/config.json`, written atomically (temp,
 * fsync, rename), every write under `containers/.lock` (flock, dropped by the kernel if the holder
 * dies). Readers take no lock: a rename is atomic, so they see a whole record or the previous one.
 * A record appears by renaming a complete staging directory and disappears by renaming it away,
 * so no reader ever sees a half-made or half-removed container.
 */
export class FileStateStore implements StateStore {
  readonly containersDir: string;
  private readonly storeLock: string;

  constructor(
    root: string,
    private readonly log?: Logger,
    private readonly options: FileStateStoreOptions = {},
  ) {
    this.containersDir = join(root, 'containers');
    this.storeLock = join(this.containersDir, '.lock');
  }

  directory(id: ContainerId): string {
    return join(this.containersDir, id);
  }

  async create(input: NewContainerRecord): Promise<ContainerRecord> {
    const { record, lock } = await this.createLocked(input);
    lock.release();
    return record;
  }

  async createLocked(input: NewContainerRecord): Promise<{ record: ContainerRecord; lock: HeldLock }> {
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    return this.withStoreLock(async () => {
      const { records } = await this.list();
      const owners = new Map(records.map((r) => [r.name as string, r.id]));
      let name: ContainerName;
      if (input.name !== undefined) {
        const owner = owners.get(input.name);
        if (owner) throw nameInUse(input.name, owner);
        name = input.name;
      } else {
        name = freeName(owners);
      }
      const record: ContainerRecord = { ...input, name };
      const target = this.directory(record.id);
      if (await exists(target)) throw new ConflictError(`container ID ${record.id} exists already`);
      const staging = join(this.containersDir, `${STAGING_PREFIX}${record.id}`);
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { mode: 0o700 });
      const durable = isDurable(record);
      await writeFileAtomic(join(staging, RECORD_FILE), encodeContainerRecord(record), { durable });
      crashPoint('create:staged');
      // The lock file is opened before the rename: the descriptor follows the directory.
      const lock = await acquireFileLock(join(staging, CONTAINER_LOCK), {
        ...(this.log ? { log: this.log } : {}),
        what: `container ${shortContainerId(record.id)}`,
      });
      try {
        await rename(staging, target);
        if (durable) await syncDirectory(this.containersDir);
      } catch (error) {
        lock.release();
        throw error;
      }
      this.log?.debug(
        { container: shortContainerId(record.id), name, path: target },
        'Create container record',
      );
      return { record, lock };
    });
  }

  async resolve(idOrName: string): Promise<ContainerId> {
    const ids = await this.ids();
    if (ids.includes(idOrName as ContainerId)) return idOrName as ContainerId;
    const { records } = await this.list();
    const named = records.find((r) => r.name === idOrName.replace(/^\//, ''));
    if (named) return named.id;
    return resolveContainerIdPrefix(idOrName, ids);
  }

  async find(idOrName: string): Promise<ContainerRecord> {
    return this.get(await this.resolve(idOrName));
  }

  async get(id: ContainerId): Promise<ContainerRecord> {
    const result = await this.read(id);
    if (result.kind === 'missing') throw new NotFoundError(`no such container: ${id}`);
    if (result.kind === 'broken') throw brokenError(result.broken);
    return result.record;
  }

  async list(): Promise<ContainerListing> {
    const records: ContainerRecord[] = [];
    const broken: BrokenRecord[] = [];
    const results = await Promise.all((await this.ids()).map((id) => this.read(id)));
    for (const result of results) {
      if (result.kind === 'record') records.push(result.record);
      else if (result.kind === 'broken') broken.push(result.broken);
    }
    records.sort((a, b) => Date.parse(a.created) - Date.parse(b.created) || a.id.localeCompare(b.id));
    return { records, broken };
  }

  async update(
    id: ContainerId,
    change: (record: ContainerRecord) => ContainerRecord,
  ): Promise<ContainerRecord> {
    return this.withStoreLock(async () => {
      const current = await this.get(id);
      const next = change(current);
      if (next.id !== id) throw new StateError(`a record update cannot change the container ID (${id})`);
      if (next.name !== current.name) {
        const { records } = await this.list();
        const owner = records.find((r) => r.name === next.name && r.id !== id);
        if (owner) throw nameInUse(next.name, owner.id);
      }
      await writeFileAtomic(join(this.directory(id), RECORD_FILE), encodeContainerRecord(next), {
        durable: isDurable(next),
      });
      this.log?.debug({ container: shortContainerId(id), status: next.status }, 'Write container record');
      return next;
    });
  }

  async remove(id: ContainerId): Promise<void> {
    const dir = this.directory(id);
    const trash = join(this.containersDir, `${TRASH_PREFIX}${id}`);
    // Synchronous: a container directory holds a dozen small files, and the thread pool's round
    // trips for each would cost more than the calls themselves.
    const moved = await this.withStoreLock(async () => {
      if (!existsSync(dir)) return false;
      this.refuseMountsUnder(dir);
      rmSync(trash, { recursive: true, force: true });
      renameSync(dir, trash);
      // No fsync: a removal lost to a power cut brings back a record of a container that cannot
      // be running after the reboot; the next command settles it.
      return true;
    });
    if (!moved) return;
    crashPoint('remove:trashed');
    rmSync(trash, { recursive: true, force: true });
    this.log?.debug({ container: shortContainerId(id), path: dir }, 'Remove container directory');
  }

  /**
   * Removes what a crash left in the middle of `create` or `remove` (their staging and trash
   * directories); returns the paths removed.
   */
  async sweep(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.containersDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const removed: string[] = [];
    await this.withStoreLock(async () => {
      for (const entry of entries) {
        if (!entry.startsWith(STAGING_PREFIX) && !entry.startsWith(TRASH_PREFIX)) continue;
        const path = join(this.containersDir, entry);
        this.refuseMountsUnder(path);
        await rm(path, { recursive: true, force: true });
        this.log?.debug({ path }, 'Remove leftover container directory');
        removed.push(path);
      }
    });
    return removed;
  }

  async lockContainer(id: ContainerId, options: { timeoutMs?: number } = {}): Promise<HeldLock> {
    try {
      return await acquireFileLock(join(this.directory(id), CONTAINER_LOCK), {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(this.log ? { log: this.log } : {}),
        what: `container ${shortContainerId(id)}`,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`no such container: ${id}`);
      throw error;
    }
  }

  async holdKeeper(id: ContainerId): Promise<HeldLock> {
    try {
      return await acquireFileLock(join(this.directory(id), KEEPER_LOCK), {
        timeoutMs: 5_000,
        ...(this.log ? { log: this.log } : {}),
        what: `the keeper of container ${shortContainerId(id)}`,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`no such container: ${id}`);
      throw error;
    }
  }

  isKept(id: ContainerId): boolean {
    return isFlockHeld(join(this.directory(id), KEEPER_LOCK));
  }

  isLocked(id: ContainerId): boolean {
    return isFlockHeld(join(this.directory(id), CONTAINER_LOCK));
  }

  private async ids(): Promise<ContainerId[]> {
    try {
      return (await readdir(this.containersDir)).filter((e) => ID_DIR.test(e)) as ContainerId[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private async read(id: ContainerId): Promise<ReadResult> {
    let text: string;
    try {
      // A record is a few KiB: one synchronous read costs far less than readFile's four thread-pool trips.
      text = readFileSync(join(this.directory(id), RECORD_FILE), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // Removed while we looked (gone), or a directory without a record (broken).
        return (await exists(this.directory(id)))
          ? { kind: 'broken', broken: { id, reason: `${RECORD_FILE} is missing` } }
          : { kind: 'missing' };
      }
      return {
        kind: 'broken',
        broken: { id, reason: `cannot read ${RECORD_FILE}: ${(error as Error).message}` },
      };
    }
    try {
      return { kind: 'record', record: decodeContainerRecord(text, id) };
    } catch (error) {
      if (error instanceof RecordFormatError)
        return { kind: 'broken', broken: { id, reason: `${RECORD_FILE} is corrupt: ${error.message}` } };
      throw error;
    }
  }

  private withStoreLock<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(
      this.storeLock,
      {
        ...(this.options.lockTimeoutMs !== undefined ? { timeoutMs: this.options.lockTimeoutMs } : {}),
        what: 'the container records',
      },
      fn,
    );
  }

  private refuseMountsUnder(dir: string): void {
    const mounted = (this.options.mountPoints ?? (() => readMountInfo().map((m) => m.mountPoint)))().filter(
      (point) => point === dir || point.startsWith(`${dir}/`),
    );
    if (mounted.length > 0) {
      throw new StateError(
        `refusing to remove ${dir}: ${mounted.join(', ')} ${mounted.length === 1 ? 'is' : 'are'} mounted in it`,
        {
          hint: 'unmount it (koker rm -f and koker system prune do) and try again',
        },
      );
    }
  }
}

/**
 * Whether a record's writes are fsynced. Those of `--rm` containers are not: they live for one
 * run, a power cut ends that run anyway (whatever is left is a broken or stale record, which
 * every command handles), and the fsyncs would cost `koker run --rm` more than Node's start.
 */
function isDurable(record: ContainerRecord): boolean {
  return !record.autoRemove;
}

type ReadResult =
  | { readonly kind: 'record'; readonly record: ContainerRecord }
  | { readonly kind: 'broken'; readonly broken: BrokenRecord }
  | { readonly kind: 'missing' };

function brokenError(broken: BrokenRecord): StateError {
  return new StateError(
    `the record of container ${shortContainerId(broken.id)} is broken: ${broken.reason}`,
    {
      hint: `koker rm -f ${shortContainerId(broken.id)} removes it and what it holds`,
    },
  );
}

function nameInUse(name: string, owner: ContainerId): ConflictError {
  return new ConflictError(`the container name "/${name}" is already in use by container "${owner}"`, {
    hint: 'remove (or rename) that container to reuse the name, or choose another name',
  });
}

function freeName(owners: ReadonlyMap<string, ContainerId>): ContainerName {
  for (let attempt = 0; attempt < 200; attempt++) {
    const name = generateContainerName(attempt);
    if (!owners.has(name)) return name;
  }
  // Thousands of generated names taken: fall back to a random suffix that cannot clash in practice.
  return `${generateContainerName()}_${randomBytes(4).toString('hex')}` as ContainerName;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
