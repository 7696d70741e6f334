import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, StateError, InvalidValueError, type Logger } from '@koker/core';
import { withFileLock, writeFileAtomic } from '@koker/host';
import { readOptionalFile } from '../state/optional-file.js';

/** A user network as this driver keeps it: `<root>/network/networks/<id>.json`. */
export interface NetworkDefinition {
  readonly version: 1;
  readonly id: string;
  readonly name: string;
  readonly created: string;
  /** The bridge device: `--opt com.docker.network.bridge.name`, or `koker-` + 9 hex of the ID. */
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway?: string;
  readonly ipRange?: string;
  readonly internal: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
}

const ID = /^[0-9a-f]{64}$/;
/** Docker's network names. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** The names `--network` gives another meaning. */
const RESERVED = new Set(['bridge', 'host', 'none', 'default']);

export function parseNetworkName(name: string): string {
  if (!NAME.test(name) || name.length > 128)
    throw new InvalidValueError(
      'network name',
      name,
      'use letters, digits, "_", "." and "-", starting with a letter or digit',
    );
  if (RESERVED.has(name) || name.startsWith('container:'))
    throw new InvalidValueError('network name', name, 'the name is reserved for a network mode');
  return name;
}

function strings(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function parseDefinition(text: string, path: string): NetworkDefinition {
  let data: Partial<NetworkDefinition>;
  try {
    data = JSON.parse(text) as Partial<NetworkDefinition>;
  } catch (error) {
    throw new StateError(`the network file ${path} is corrupt: ${(error as Error).message}`);
  }
  if (
    data.version !== 1 ||
    typeof data.id !== 'string' ||
    !ID.test(data.id) ||
    typeof data.name !== 'string' ||
    typeof data.bridge !== 'string' ||
    typeof data.subnet !== 'string' ||
    typeof data.created !== 'string' ||
    typeof data.internal !== 'boolean' ||
    !strings(data.labels) ||
    !strings(data.options)
  )
    throw new StateError(`the network file ${path} is corrupt: unexpected fields`);
  return data as NetworkDefinition;
}

/** The user networks of one koker root, and the lock their names are taken under. */
export class NetworkDefinitions {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly log: Logger,
  ) {
    this.dir = join(root, 'network', 'networks');
  }

  /** Runs `work` holding the lock of this root's network names. */
  async locked<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    return withFileLock(
      join(this.dir, 'lock'),
      { timeoutMs: 60_000, log: this.log, what: 'the networks' },
      work,
    );
  }

  async all(): Promise<NetworkDefinition[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: NetworkDefinition[] = [];
    for (const name of names.filter((n) => ID.test(n.replace(/\.json$/, '')) && n.endsWith('.json'))) {
      const path = join(this.dir, name);
      const text = await readOptionalFile(path);
      if (text !== undefined) found.push(parseDefinition(text, path));
    }
    return found.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** By name, full ID or unambiguous ID prefix (Docker's order). */
  async find(nameOrId: string): Promise<NetworkDefinition> {
    const all = await this.all();
    const match =
      all.find((n) => n.name === nameOrId) ??
      all.find((n) => n.id === nameOrId) ??
      (() => {
        const byPrefix = nameOrId.length > 0 ? all.filter((n) => n.id.startsWith(nameOrId)) : [];
        return byPrefix.length === 1 ? byPrefix[0] : undefined;
      })();
    if (!match) throw new NotFoundError(`network ${nameOrId} not found`);
    return match;
  }

  /** Where a network's definition is (or will be) written. */
  path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  async write(definition: NetworkDefinition): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path(definition.id), `${JSON.stringify(definition, null, 2)}\n`);
  }

  async remove(id: string): Promise<void> {
    await unlink(join(this.dir, `${id}.json`)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
