import { join } from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import {
  ConfigToken,
  DriverCatalog,
  HostToken,
  Images,
  LoggerToken,
  PermissionError,
  State,
  SyscallsToken,
  loadConfig,
  driverContext,
  Volumes,
  type VolumeDriver,
  type ContractKey,
  type KokerConfig,
  type Logger,
  type Selection,
} from '@koker/core';
import { FileImageStore } from '@koker/image-store';
import {
  EventJournal,
  FileStateStore,
  fileVolumeLocks,
  volumeEvent,
  type VolumeDrivers,
} from '@koker/engine';
import { HostFacts, KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { registerBuiltinDrivers } from './drivers.js';
import { importModule } from './module-importer.js';
import { startupSnapshotPath } from './startup-snapshot.js';

export interface GlobalOptions {
  readonly debug?: boolean;
  readonly quiet?: boolean;
  readonly root?: string;
  readonly logFormat?: 'console' | 'json';
  readonly cgroupDriver?: string;
  readonly storageDriver?: string;
  readonly networkDriver?: string;
}

/**
 * One invocation of `koker`: its options, config, logger and the DI container the drivers are
 * composed into. Everything is built on first use, so `koker --help` loads nothing.
 */
export class CliContext {
  private configCache?: KokerConfig;
  private logCache?: Logger;
  private catalogCache?: Promise<DriverCatalog>;
  private containerCache?: DependencyContainer;
  private stateCache?: FileStateStore;
  private imagesCache?: FileImageStore;
  private readonly volumeCache = new Map<string, Promise<VolumeDriver>>();
  readonly host = new HostFacts();

  constructor(readonly globals: GlobalOptions) {}

  get config(): KokerConfig {
    this.configCache ??= loadConfig({
      flags: {
        // `--root ''` is refused by the config, not taken for the default.
        ...(this.globals.root !== undefined ? { root: this.globals.root } : {}),
        drivers: forcedDrivers({
          resources: this.globals.cgroupDriver,
          storage: this.globals.storageDriver,
          network: this.globals.networkDriver,
        }),
      },
    });
    return this.configCache;
  }

  get log(): Logger {
    if (!this.logCache) {
      this.logCache = createLogger({
        level: this.globals.quiet ? 'silent' : this.globals.debug ? 'debug' : 'info',
        format: this.globals.logFormat ?? 'console',
      });
      // How bin/koker started Node (ADR 0010): from the start-up snapshot, or the bundle, with
      // which of Node's flags (the smaller young generation) and malloc arenas.
      this.logCache.debug(
        {
          startupSnapshot: startupSnapshotPath() ?? null,
          nodeFlags: process.execArgv,
          mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
        },
        'Start koker',
      );
    }
    return this.logCache;
  }

  /** Container records under `<root>/containers`. */
  get state(): FileStateStore {
    this.stateCache ??= new FileStateStore(this.config.root, this.log);
    return this.stateCache;
  }

  /** Images, layers and tags under `<root>/images`. */
  get images(): FileImageStore {
    this.imagesCache ??= new FileImageStore(this.config.root, this.log);
    return this.imagesCache;
  }

  /** The per-invocation DI container with koker's own services registered. */
  get container(): DependencyContainer {
    if (!this.containerCache) {
      const child = rootContainer.createChildContainer();
      child.register(ConfigToken, { useValue: this.config });
      child.register(LoggerToken, { useValue: this.log });
      child.register(HostToken, { useValue: this.host });
      child.register(SyscallsToken, { useValue: new KoffiSyscalls() });
      child.register(State.token, { useValue: this.state });
      child.register(Images.token, { useValue: this.images });
      this.containerCache = child;
    }
    return this.containerCache;
  }

  catalog(): Promise<DriverCatalog> {
    this.catalogCache ??= (async () => {
      const catalog = new DriverCatalog();
      registerBuiltinDrivers(catalog);
      for (const specifier of this.config.driverModules) await catalog.load(specifier, importModule);
      return catalog;
    })();
    return this.catalogCache;
  }

  /** Picks the driver for a contract (forced by config or flag, else by probe) and builds it. */
  async driver<T>(contract: ContractKey<T>): Promise<T> {
    const selection: Selection<T> = await (
      await this.catalog()
    ).bind(
      this.container,
      contract,
      { host: this.host, config: this.config },
      this.config.drivers[contract.id],
    );
    this.log.debug(
      { contract: contract.id, driver: selection.chosen.name, forced: selection.forced },
      'Select driver',
    );
    return await this.container.resolve<T | Promise<T>>(contract.token);
  }

  /**
   * The volume drivers by name: unlike the other contracts, every registered one serves at
   * once (each volume names its own), each probed and built when a volume first needs it. The
   * volumes made and removed through them are journaled as events.
   */
  volumeDrivers(): VolumeDrivers {
    const driver = (name: string): Promise<VolumeDriver> => {
      let made = this.volumeCache.get(name);
      if (!made) {
        made = (async () => {
          const selection = await (
            await this.catalog()
          ).select(Volumes, { host: this.host, config: this.config }, name);
          this.log.debug({ contract: Volumes.id, driver: name }, 'Select driver');
          return await selection.chosen.create(driverContext(this.container));
        })();
        this.volumeCache.set(name, made);
      }
      return made;
    };
    return {
      driver,
      all: async () => {
        const catalog = await this.catalog();
        const usable: VolumeDriver[] = [];
        for (const report of await catalog.probeAll(Volumes, { host: this.host, config: this.config }))
          if (report.result.usable) usable.push(await driver(report.name));
        return usable;
      },
      // Per name, whatever the driver: `<root>/run/volume-locks/NAME.lock`.
      lock: fileVolumeLocks(join(this.config.root, 'run', 'volume-locks'), this.log),
      onChange: (change) => {
        const written = new EventJournal(this.config.root).emit(volumeEvent(change));
        this.log.debug(
          { type: 'volume', action: change.action, id: change.name, written: written !== undefined },
          'Record event',
        );
      },
    };
  }

  /** Commands that touch namespaces, cgroups, mounts or koker's root need root. */
  requireRoot(command: string): void {
    if (!this.host.isRoot) {
      throw new PermissionError(`koker ${command} needs root`, {
        hint: `run it as root, e.g. sudo koker ${command}`,
      });
    }
  }
}

function forcedDrivers(byContract: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [contract, name] of Object.entries(byContract)) if (name !== undefined) result[contract] = name;
  return result;
}
