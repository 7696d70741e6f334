import { type KokerConfig } from '../config/config.js';
import { type ContractKey } from '../contracts/contract-key.js';
import { type HostView } from '../host/host-view.js';
import { type Syscalls } from '../kernel/syscalls.js';
import { type Logger } from '../log/logger.js';

/** What a probe reports: usable here, or why not. */
export type ProbeResult =
  | { readonly usable: true; readonly details?: Readonly<Record<string, string>> }
  | { readonly usable: false; readonly reason: string };

export interface ProbeContext {
  readonly host: HostView;
  readonly config: KokerConfig;
}

/**
 * What every driver is built from: plain values, so a driver needs nothing of koker's but the
 * types of @koker/core (not its DI container, not a class identity that a second copy of core
 * would not share).
 */
export interface DriverContext {
  readonly config: KokerConfig;
  readonly log: Logger;
  readonly host: HostView;
  /** The system calls koker's TypeScript side may make itself (mount, umount, setns, unshare). */
  readonly syscalls: Syscalls;
}

/**
 * How a driver package announces itself. Built-in drivers and third-party npm packages do it the
 * same way: export `register(catalog)` and call `catalog.add(...)` with one of these.
 */
export interface DriverRegistration<T> {
  readonly contract: ContractKey<T>;
  /** Unique within its contract; what `--cgroup-driver NAME` and config select. */
  readonly name: string;
  /** Higher is tried first. Built-ins use 0..100; a third party outranks them with more. */
  readonly priority: number;
  readonly description: string;
  probe(context: ProbeContext): Promise<ProbeResult> | ProbeResult;
  /**
   * Builds the driver from plain values. May resolve asynchronously: a driver package then
   * imports its code only when it is chosen.
   */
  create(context: DriverContext): T | Promise<T>;
}

/** The shape a driver module exports. */
export interface DriverModule {
  register(catalog: { add<T>(registration: DriverRegistration<T>): void }): void;
}
