import { type DependencyContainer } from 'tsyringe';
import { type ContractKey } from '../contracts/contract-key.js';
import { DriverUnavailableError, InvalidValueError } from '../errors/index.js';
import { ConfigToken } from '../config/config.js';
import { HostToken } from '../host/host-view.js';
import { SyscallsToken } from '../kernel/syscalls.js';
import { LoggerToken } from '../log/logger.js';
import {
  type DriverContext,
  type DriverModule,
  type DriverRegistration,
  type ProbeContext,
  type ProbeResult,
} from './driver-registration.js';

export interface ProbeReport {
  readonly name: string;
  readonly priority: number;
  readonly description: string;
  readonly result: ProbeResult;
}

export interface Selection<T> {
  readonly chosen: DriverRegistration<T>;
  /** Drivers tried before the chosen one, with why they were not usable. */
  readonly passedOver: readonly ProbeReport[];
  readonly forced: boolean;
}

/**
 * Every driver known to this process, per contract. Discovery probes them in priority order and
 * picks the first usable one, unless one is forced by name (then its probe must pass).
 */
export class DriverCatalog {
  private readonly byContract = new Map<string, DriverRegistration<unknown>[]>();

  add<T>(registration: DriverRegistration<T>): void {
    const list = this.byContract.get(registration.contract.id) ?? [];
    if (list.some((r) => r.name === registration.name)) {
      throw new InvalidValueError(
        'driver registration',
        registration.name,
        `a ${registration.contract.id} driver of this name is already registered`,
      );
    }
    list.push(registration as DriverRegistration<unknown>);
    list.sort((a, b) => b.priority - a.priority);
    this.byContract.set(registration.contract.id, list);
  }

  /** Loads a driver module (a package name or path) and lets it register itself. */
  async load(specifier: string, importer: (s: string) => Promise<unknown> = (s) => import(s)): Promise<void> {
    let module: Partial<DriverModule>;
    try {
      module = (await importer(specifier)) as Partial<DriverModule>;
    } catch (error) {
      throw new DriverUnavailableError(
        `cannot load driver module "${specifier}": ${(error as Error).message}`,
        {
          cause: error,
          hint: 'install the package next to koker, or remove it from the "drivers" list of the configuration',
        },
      );
    }
    if (typeof module.register !== 'function') {
      throw new DriverUnavailableError(`driver module "${specifier}" exports no register(catalog) function`);
    }
    module.register(this);
  }

  registrations<T>(contract: ContractKey<T>): readonly DriverRegistration<T>[] {
    return (this.byContract.get(contract.id) ?? []) as DriverRegistration<T>[];
  }

  /** Picks the driver for a contract: the forced one, or the first usable by priority. */
  async select<T>(contract: ContractKey<T>, context: ProbeContext, forced?: string): Promise<Selection<T>> {
    const candidates = this.registrations(contract);
    if (forced !== undefined) {
      const chosen = candidates.find((r) => r.name === forced);
      if (!chosen) {
        throw new DriverUnavailableError(`no ${contract.id} driver named "${forced}"`, {
          hint: `known ${contract.id} drivers: ${candidates.map((r) => r.name).join(', ') || 'none'}`,
        });
      }
      const result = await runProbe(chosen, context);
      if (!result.usable) {
        throw new DriverUnavailableError(
          `the ${contract.id} driver "${forced}" cannot be used on this host: ${result.reason}`,
          {
            hint: 'let koker pick a driver (drop the option forcing it), or fix what the reason names',
          },
        );
      }
      return { chosen, passedOver: [], forced: true };
    }
    const passedOver: ProbeReport[] = [];
    for (const candidate of candidates) {
      const result = await runProbe(candidate, context);
      if (result.usable) return { chosen: candidate, passedOver, forced: false };
      passedOver.push(report(candidate, result));
    }
    throw new DriverUnavailableError(
      `no usable ${contract.id} driver on this host${passedOver.length ? `: ${passedOver.map((p) => `${p.name}: ${(p.result as { reason: string }).reason}`).join('; ')}` : ' (none is registered)'}`,
    );
  }

  /** Probes every driver of a contract (for `koker info`). */
  async probeAll<T>(contract: ContractKey<T>, context: ProbeContext): Promise<ProbeReport[]> {
    const reports: ProbeReport[] = [];
    for (const candidate of this.registrations(contract))
      reports.push(report(candidate, await runProbe(candidate, context)));
    return reports;
  }

  /**
   * Selects and registers the chosen driver's factory under the contract's token. The factory
   * hands the driver the plain values registered in `container` (ConfigToken, LoggerToken,
   * HostToken, SyscallsToken). What the token resolves to may be a promise of the driver (see
   * DriverRegistration.create): await it.
   */
  async bind<T>(
    container: DependencyContainer,
    contract: ContractKey<T>,
    context: ProbeContext,
    forced?: string,
  ): Promise<Selection<T>> {
    const selection = await this.select(contract, context, forced);
    let instance: T | Promise<T> | undefined;
    container.register(contract.token, {
      useFactory: (c) => (instance ??= selection.chosen.create(driverContext(c))),
    });
    return selection;
  }

  contracts(): string[] {
    return [...this.byContract.keys()];
  }
}

/** The values a driver is built from, as the composition root registered them. */
export function driverContext(container: DependencyContainer): DriverContext {
  return {
    config: container.resolve<DriverContext['config']>(ConfigToken),
    log: container.resolve<DriverContext['log']>(LoggerToken),
    host: container.resolve<DriverContext['host']>(HostToken),
    syscalls: container.resolve<DriverContext['syscalls']>(SyscallsToken),
  };
}

async function runProbe<T>(registration: DriverRegistration<T>, context: ProbeContext): Promise<ProbeResult> {
  try {
    return await registration.probe(context);
  } catch (error) {
    return { usable: false, reason: `probe failed: ${(error as Error).message}` };
  }
}

function report<T>(registration: DriverRegistration<T>, result: ProbeResult): ProbeReport {
  return {
    name: registration.name,
    priority: registration.priority,
    description: registration.description,
    result,
  };
}
