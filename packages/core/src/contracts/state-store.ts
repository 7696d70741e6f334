import { type ContainerId } from '../domain/container-id.js';
import { type ContainerName } from '../domain/container-name.js';
import { type ContainerSpec } from './container-spec.js';
import { type ResourceLimits } from '../domain/resource-limits.js';
import { contractKey } from './contract-key.js';
import { type NetworkMode, type PortMapping } from './network.js';

/**
 * `created`: set up (or being set up) but never started; `running`: its process was started and
 * a keeper (the monitor, or an attached `koker run`) waits on it; `exited`: it ended, or was
 * found without its keeper after a crash (then `reason` says so).
 */
export type ContainerStatus = 'created' | 'running' | 'exited';

/** A mount as `inspect` shows it (Docker's Mounts). */
export interface MountRecord {
  readonly type: 'bind' | 'volume' | 'tmpfs';
  /** Host path: the bound path, the volume's mountpoint; empty for tmpfs. */
  readonly source: string;
  readonly destination: string;
  readonly readOnly: boolean;
  /** Volumes: its name and driver. */
  readonly name?: string;
  readonly driver?: string;
  /** Binds: the propagation (`rprivate` unless asked). */
  readonly propagation?: string;
  /** Docker's Mode: what was given after the target (`ro`, `z`, `nocopy`), or empty. */
  readonly mode?: string;
}

export interface ContainerRecord {
  readonly id: ContainerId;
  readonly name: ContainerName;
  /** As the user gave it, and the image ID (config digest) it resolved to. */
  readonly image: { readonly reference: string; readonly id: string };
  /** What the container runs, as Docker's Config shows it: Entrypoint and Cmd after overrides. */
  readonly entrypoint: readonly string[];
  readonly command: readonly string[];
  readonly env: readonly string[];
  readonly hostname: string;
  readonly workingDir?: string;
  readonly user?: string;
  readonly tty?: boolean;
  readonly interactive?: boolean;
  /** ISO 8601 times. */
  readonly created: string;
  readonly started?: string;
  readonly finished?: string;
  readonly status: ContainerStatus;
  /** The container's first process as the host sees it, while running. */
  readonly pid?: number;
  /** The koker-monitor waiting on a detached container, while running. */
  readonly monitorPid?: number;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  /** Why a container is `exited` without a normal end (e.g. its monitor died). */
  readonly reason?: string;
  readonly network: {
    readonly mode: NetworkMode;
    readonly ipAddress?: string;
    readonly gateway?: string;
    readonly ports: readonly PortMapping[];
  };
  readonly limits: ResourceLimits;
  readonly mounts?: readonly MountRecord[];
  /** `--rm`: removed (record and all) when it exits. */
  readonly autoRemove: boolean;
  /** `-d`: a monitor holds its stdio and waits on it. */
  readonly detached?: boolean;
  /** Signal `stop` sends first (`--stop-signal`, else the image's StopSignal), default SIGTERM. */
  readonly stopSignal?: string;
  /** `--stop-timeout`: seconds `stop` waits before SIGKILL when `-t` is not given (default 10). */
  readonly stopTimeout?: number;
  /** `--label`, `--label-file` over the image's labels: Config.Labels. */
  readonly labels?: Readonly<Record<string, string>>;
  /** `--restart`; absent: `no`. */
  readonly restartPolicy?: RestartPolicy;
  /** How many times the restart policy started the container again (Docker's RestartCount). */
  readonly restartCount?: number;
  /** The back-off before the next restart, in ms: doubles from 100, back to 100 after 10 s of running. */
  readonly restartDelayMs?: number;
  /** A restart is pending: the policy's back-off is running (Docker's `Restarting`). */
  readonly restarting?: boolean;
  /** `stop` (or `kill`) ended it: no policy restarts it, `unless-stopped` not even at boot. */
  readonly manuallyStopped?: boolean;
  /**
   * `koker create`: a `created` record left for a later `start` (not a `run` that died while
   * setting it up); nothing is made for it yet but its record and its volumes.
   */
  readonly awaitingStart?: boolean;
  /** Everything `start` needs to run the container again, as `run` decided it. */
  readonly spec?: ContainerSpec;
}

/** Docker's restart policy: `on-failure` retries at most `maximumRetryCount` times (0: no limit). */
export interface RestartPolicy {
  readonly name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  readonly maximumRetryCount: number;
}

/** A record without its name: `create` generates one when it is absent. */
export type NewContainerRecord = Omit<ContainerRecord, 'name'> & { readonly name?: ContainerName };

/** A container directory whose record cannot be read: reported, never fatal for a listing. */
export interface BrokenRecord {
  readonly id: ContainerId;
  readonly reason: string;
}

export interface ContainerListing {
  readonly records: ContainerRecord[];
  readonly broken: BrokenRecord[];
}

/** A held lock; `release` is idempotent. */
export interface HeldLock {
  release(): void;
}

/** Container records: atomic, locked, crash-safe, shared by concurrent koker processes. */
export interface StateStore {
  /**
   * Adds a record (and the container's directory). Generates a free name when none is given;
   * a name in use is a ConflictError.
   */
  create(record: NewContainerRecord): Promise<ContainerRecord>;
  /**
   * `create`, with the container lock already held when the record appears: what `run` uses,
   * so no other koker process can see the record unlocked and take it for a crashed setup.
   */
  createLocked(record: NewContainerRecord): Promise<{ record: ContainerRecord; lock: HeldLock }>;
  /** Full ID, exact name, or unique ID prefix (Docker's order), also for a broken record. */
  resolve(idOrName: string): Promise<ContainerId>;
  /** `resolve` then `get`: NotFoundError, ConflictError (ambiguous), or StateError (broken). */
  find(idOrName: string): Promise<ContainerRecord>;
  get(id: ContainerId): Promise<ContainerRecord>;
  /** Every record, oldest first; broken ones listed apart. */
  list(): Promise<ContainerListing>;
  /** Read-modify-write under the store lock. The ID cannot change; a taken name is a conflict. */
  update(id: ContainerId, change: (record: ContainerRecord) => ContainerRecord): Promise<ContainerRecord>;
  /** Removes the record and the container's directory; a missing one is not an error. */
  remove(id: ContainerId): Promise<void>;
  /** Removes what a crash left halfway through `create` or `remove`; returns the paths removed. */
  sweep(): Promise<string[]>;
  /** The container's own directory (hostname, hosts, resolv.conf, logs, monitor files). */
  directory(id: ContainerId): string;
  /**
   * Serialises lifecycle operations on one container (run setup, start, stop, rm, cleanup):
   * held across driver calls, unlike the store lock which only covers record writes.
   */
  lockContainer(id: ContainerId, options?: { timeoutMs?: number }): Promise<HeldLock>;
  /**
   * The keeper lock is held for as long as something waits on the container's process: the
   * monitor of a detached container, or an attached `koker run`. The kernel drops it when that
   * process dies, so a record saying `running` with no keeper is a crash leftover.
   */
  holdKeeper(id: ContainerId): Promise<HeldLock>;
  isKept(id: ContainerId): boolean;
  /** Whether a lifecycle operation (e.g. run's setup) holds the container lock now. */
  isLocked(id: ContainerId): boolean;
}

export const State = contractKey<StateStore>('state');
