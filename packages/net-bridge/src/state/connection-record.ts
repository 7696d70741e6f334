import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError, parseContainerId, type ContainerId } from '@koker/core';
import { writeFileAtomic } from '@koker/host';
import { readOptionalFile } from './optional-file.js';

/** One more network of a running container (`network connect`), written before anything is made. */
export interface ConnectionRecord {
  readonly version: 1;
  readonly id: ContainerId;
  readonly bridge: string;
  /** The host end of the veth pair. */
  readonly hostVeth: string;
  readonly ip: string;
}

/** `<runRoot>/network/connections/<id>/<bridge>.json`. */
export class ConnectionRecords {
  constructor(private readonly dir: string) {}

  private path(id: ContainerId, bridge: string): string {
    return join(this.dir, id, `${bridge}.json`);
  }

  async write(record: ConnectionRecord): Promise<void> {
    await mkdir(join(this.dir, record.id), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path(record.id, record.bridge), `${JSON.stringify(record, null, 2)}\n`, {
      durable: false,
    });
  }

  async read(id: ContainerId, bridge: string): Promise<ConnectionRecord | undefined> {
    const path = this.path(id, bridge);
    const text = await readOptionalFile(path);
    if (text === undefined) return undefined;
    try {
      const record = JSON.parse(text) as Partial<ConnectionRecord>;
      if (
        record.version === 1 &&
        record.id === id &&
        record.bridge === bridge &&
        typeof record.hostVeth === 'string'
      )
        return record as ConnectionRecord;
    } catch {
      // reported below
    }
    throw new StateError(`the network connection record ${path} is corrupt`);
  }

  /** The bridges a container is connected to besides its own network. */
  async bridges(id: ContainerId): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, id)))
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async remove(id: ContainerId, bridge: string): Promise<void> {
    await unlink(this.path(id, bridge)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    if ((await this.bridges(id)).length === 0) await rm(join(this.dir, id), { recursive: true, force: true });
  }

  async ids(): Promise<ContainerId[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.flatMap((name) => {
      try {
        return [parseContainerId(name)];
      } catch {
        return [];
      }
    });
  }
}
