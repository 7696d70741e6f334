import { type ContainerId } from '../domain/container-id.js';
import { type ContainerName } from '../domain/container-name.js';
import { type ResourceLimits } from '../domain/resource-limits.js';
import { contractKey } from './contract-key.js';
import { type NetworkMode, type PortMapping } from './network.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

export interface ContainerRecord {
  readonly id: ContainerId;
  readonly name: ContainerName;
  readonly image: { readonly reference: string; readonly id: string };
  readonly entrypoint: readonly string[];
  readonly command: readonly string[];
  readonly env: readonly string[];
  readonly hostname: string;
  readonly created: string;
  readonly started?: string;
  readonly finished?: string;
  readonly status: ContainerStatus;
  readonly pid?: number;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  /** Why a container is `exited` without a normal end (e.g. its monitor died). */
  readonly reason?: string;
  readonly network: {
    readonly mode: NetworkMode;
    readonly ipAddress?: string;
    readonly ports: readonly PortMapping[];
  };
  readonly limits: ResourceLimits;
  readonly autoRemove: boolean;
}

/** Container records: atomic, locked, crash-safe. */
export interface StateStore {
  create(record: ContainerRecord): Promise<void>;
  /** By full ID, unique ID prefix, or name. */
  find(idOrName: string): Promise<ContainerRecord>;
  list(): Promise<ContainerRecord[]>;
  update(id: ContainerId, change: (record: ContainerRecord) => ContainerRecord): Promise<ContainerRecord>;
  remove(id: ContainerId): Promise<void>;
  /** The container's own directory (hostname, hosts, resolv.conf, logs). */
  directory(id: ContainerId): string;
}

export const State = contractKey<StateStore>('state');
