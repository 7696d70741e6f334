import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError, parseContainerId, type ContainerId, type PortMapping } from '@koker/core';
import { writeFileAtomic } from '@koker/host';
import { readOptionalFile } from './optional-file.js';

/**
 * What one container's network is made of, written before anything is created so that `detach`
 * (or the garbage collector after a crash) can find every piece again.
 */
export interface AttachmentRecord {
  readonly version: 1;
  readonly id: ContainerId;
  readonly mode: 'bridge';
  readonly netns: string;
  readonly bridge?: string;
  /** The host end of the veth pair. */
  readonly hostVeth?: string;
  readonly ipAddress?: string;
  readonly ports: readonly PortMapping[];
}

/** One JSON file per container under `<root>/network/containers/`. */
export class AttachmentRecords {
  constructor(private readonly dir: string) {}

  private path(id: ContainerId): string {
    return join(this.dir, `${id}.json`);
  }

  async write(record: AttachmentRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Not flushed: what a record describes (namespaces, veths, rules) does not survive a power loss either.
    await writeFileAtomic(this.path(record.id), `${JSON.stringify(record, null, 2)}\n`, { durable: false });
  }

  async read(id: ContainerId): Promise<AttachmentRecord | undefined> {
    const path = this.path(id);
    const text = await readOptionalFile(path);
    if (text === undefined) return undefined;
    let record: Partial<AttachmentRecord>;
    try {
      record = JSON.parse(text) as Partial<AttachmentRecord>;
    } catch (error) {
      throw new StateError(`the network record ${path} is corrupt: ${(error as Error).message}`);
    }
    if (
      record.version !== 1 ||
      record.id !== id ||
      record.mode !== 'bridge' ||
      typeof record.netns !== 'string' ||
      !Array.isArray(record.ports)
    ) {
      throw new StateError(`the network record ${path} is corrupt: unexpected fields`);
    }
    return record as AttachmentRecord;
  }

  async remove(id: ContainerId): Promise<void> {
    await unlink(this.path(id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
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
      if (!name.endsWith('.json')) return [];
      try {
        return [parseContainerId(name.slice(0, -5))];
      } catch {
        return [];
      }
    });
  }
}
