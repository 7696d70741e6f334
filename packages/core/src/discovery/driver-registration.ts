import { type DependencyContainer } from 'tsyringe';
import { type KokerConfig } from '../config/config.js';
import { type ContractKey } from '../contracts/contract-key.js';
import { type HostView } from '../host/host-view.js';

/** What a probe reports: usable here, or why not. */
export type ProbeResult =
  | { readonly usable: true; readonly details?: Readonly<Record<string, string>> }
  | { readonly usable: false; readonly reason: string };

export interface ProbeContext {
  readonly host: HostView;
  readonly config: KokerConfig;
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
   * Builds the driver from the run's container (logger, config, host, syscalls are registered).
   * May resolve asynchronously: a driver package then imports its code only when it is chosen.
   */
  create(container: DependencyContainer): T | Promise<T>;
}

/** The shape a driver module exports. */
export interface DriverModule {
  register(catalog: { add<T>(registration: DriverRegistration<T>): void }): void;
}
