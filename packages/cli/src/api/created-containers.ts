import {
  ConflictError,
  NotFoundError,
  newContainerId,
  parseContainerName,
  type ContainerId,
} from '@koker/core';
import { type Socket } from 'node:net';
import { type RunImage, type RunRequest } from '@koker/engine';
import { type CreateRequest } from './create-body.js';

/** A container the API created and nobody started yet: its request, kept until `start`. */
export interface CreatedContainer {
  readonly id: ContainerId;
  readonly name: string | undefined;
  readonly request: CreateRequest;
  readonly image: RunImage;
  /** The request checked at create, as `run` checks its flags (a connect before the start amends it). */
  run: RunRequest;
  /** Networks to join once it runs (`network connect` before the start, to another network). */
  readonly connects: {
    readonly network: string;
    readonly aliases: readonly string[];
    readonly ip?: string;
  }[];
  readonly created: string;
  /**
   * Attach connections waiting for the start (Docker's CLI attaches before it starts): the first
   * gets the socket the start opened (the monitor holds the output for it), the others none
   * (they connect themselves); `undefined` for all when the create was dropped.
   */
  readonly attachWaiters: ((socket: Promise<Socket> | undefined, id: ContainerId | undefined) => void)[];
  /** `wait` calls waiting for the start (or for the create to be dropped). */
  readonly startWaiters: ((outcome: 'started' | 'removed') => void)[];
}

/**
 * The API's create writes nothing to the store: koker's records start with the run (the rootfs,
 * cgroups and network are made by `start`). Until then the service holds the request here; a
 * restart of the service forgets containers created and never started.
 */
export class CreatedContainers {
  private readonly byId = new Map<ContainerId, CreatedContainer>();

  async add(
    request: CreateRequest,
    run: RunRequest,
    image: RunImage,
    taken: (name: string) => Promise<boolean>,
  ): Promise<CreatedContainer> {
    const name = request.flags.name;
    if (name !== undefined) {
      parseContainerName(name);
      if ([...this.byId.values()].some((c) => c.name === name) || (await taken(name)))
        throw new ConflictError(
          `Conflict. The container name "/${name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`,
        );
    }
    const created: CreatedContainer = {
      id: newContainerId(),
      name,
      request,
      run,
      image,
      created: new Date().toISOString(),
      attachWaiters: [],
      startWaiters: [],
      connects: [],
    };
    this.byId.set(created.id, created);
    return created;
  }

  /** By full ID, ID prefix or name, as the store resolves them. */
  find(ref: string): CreatedContainer | undefined {
    const clean = ref.replace(/^\//, '');
    for (const created of this.byId.values())
      if (
        created.id === clean ||
        created.name === clean ||
        (clean.length >= 1 && created.id.startsWith(clean))
      )
        return created;
    return undefined;
  }

  get(ref: string): CreatedContainer {
    const found = this.find(ref);
    if (!found) throw new NotFoundError(`No such container: ${ref}`);
    return found;
  }

  all(): CreatedContainer[] {
    return [...this.byId.values()];
  }

  /** Handed to the store (started) or dropped (removed): the waiters are told. */
  take(id: ContainerId, outcome: 'started' | 'removed'): void {
    const created = this.byId.get(id);
    if (!created) return;
    this.byId.delete(id);
    for (const waiter of created.startWaiters.splice(0)) waiter(outcome);
    if (outcome === 'removed')
      for (const waiter of created.attachWaiters.splice(0)) waiter(undefined, undefined);
  }
}
