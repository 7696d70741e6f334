import { type Socket } from 'node:net';
import { type ContainerId } from '@koker/core';

/** A connection to another network asked for before the container's start. */
export interface PendingConnect {
  readonly network: string;
  readonly aliases: readonly string[];
  readonly ip?: string;
}

/** At the start: the monitor's socket for the first attach; `undefined` when the container went. */
export type AttachStart = { readonly socket?: Promise<Socket> } | undefined;
type AttachWaiter = (start: AttachStart) => void;
type StartWaiter = (outcome: 'started' | 'removed') => void;

/**
 * What the service holds for containers that are `Created` in the store: Docker's CLI attaches
 * and waits before it starts, and compose connects networks before it starts. The first attach
 * gets the socket the start opened (the monitor keeps the output for it); a start or a removal
 * wakes them all. Kept in memory: a service restarted meanwhile forgets what waited on it.
 */
export class StartWaiters {
  private readonly attaches = new Map<ContainerId, AttachWaiter[]>();
  private readonly starts = new Map<ContainerId, StartWaiter[]>();
  private readonly connects = new Map<ContainerId, PendingConnect[]>();
  private readonly sizes = new Map<ContainerId, { readonly rows: number; readonly columns: number }>();

  /** The create's ConsoleSize: the terminal's size at the start, for an attach that waits. */
  sizeAtStart(id: ContainerId, size: { readonly rows: number; readonly columns: number }): void {
    this.sizes.set(id, size);
  }

  consoleSize(id: ContainerId): { readonly rows: number; readonly columns: number } | undefined {
    return this.sizes.get(id);
  }

  /** Resolves at the start with the monitor's socket (the first caller) or none; none on removal. */
  attachAtStart(id: ContainerId): Promise<AttachStart> {
    return new Promise((resolve) => push(this.attaches, id, resolve));
  }

  /** Someone waits to attach at the start: the start asks the monitor to keep the output. */
  attachWaiting(id: ContainerId): boolean {
    return (this.attaches.get(id)?.length ?? 0) > 0;
  }

  onStart(id: ContainerId): Promise<'started' | 'removed'> {
    return new Promise((resolve) => push(this.starts, id, resolve));
  }

  connectAtStart(id: ContainerId, connect: PendingConnect): void {
    push(this.connects, id, connect);
  }

  forgetConnect(id: ContainerId, network: string): void {
    const left = (this.connects.get(id) ?? []).filter((connect) => connect.network !== network);
    if (left.length > 0) this.connects.set(id, left);
    else this.connects.delete(id);
  }

  /** The container runs: the attaches get their socket, the waits go on, the connects are returned. */
  started(id: ContainerId, socket: Promise<Socket> | undefined): PendingConnect[] {
    (this.attaches.get(id) ?? []).forEach((waiter, index) => waiter(index === 0 && socket ? { socket } : {}));
    this.attaches.delete(id);
    for (const waiter of this.starts.get(id) ?? []) waiter('started');
    this.starts.delete(id);
    const connects = this.connects.get(id) ?? [];
    this.connects.delete(id);
    this.sizes.delete(id);
    return connects;
  }

  removed(id: ContainerId): void {
    for (const waiter of this.attaches.get(id) ?? []) waiter(undefined);
    for (const waiter of this.starts.get(id) ?? []) waiter('removed');
    this.attaches.delete(id);
    this.starts.delete(id);
    this.connects.delete(id);
    this.sizes.delete(id);
  }
}

function push<T>(map: Map<ContainerId, T[]>, id: ContainerId, value: T): void {
  const list = map.get(id) ?? [];
  list.push(value);
  map.set(id, list);
}
