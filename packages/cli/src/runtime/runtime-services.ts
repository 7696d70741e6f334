import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import {
  ConfigToken,
  DriverCatalog,
  HostToken,
  LoggerToken,
  SyscallsToken,
  Resources,
  loadConfig,
  type ContainerId,
  type Logger,
  type ResourceDriver,
} from '@koker/core';
import { NativeLauncher, type SpecCgroupPath } from '@koker/engine';
import { HostFacts, KoffiSyscalls, nativeHelperPath } from '@koker/host';
import { createLogger } from '@koker/log';
import { container as rootContainer } from 'tsyringe';
import { registerBuiltinDrivers } from '../drivers.js';
import { RuntimeStore } from './runtime-store.js';

/** koker-runtime's global flags, as runc's. */
export interface RuntimeGlobals {
  readonly root: string;
  readonly log?: string;
  readonly logFormat: 'text' | 'json';
  readonly debug: boolean;
  readonly systemdCgroup: boolean;
}

/**
 * The cgroup name of a runtime container: the last part of its cgroupsPath, under the parent the
 * driver is built with. The drivers take a ContainerId as that name; engines' cgroup names
 * (`libpod-<id>`, `docker-<id>.scope`) are not koker IDs, so this is the one place one is made.
 */
export function cgroupName(path: SpecCgroupPath): ContainerId {
  return path.name as ContainerId;
}

/** What the commands are built from: the store, a logger, koker's launcher and cgroup drivers. */
export class RuntimeServices {
  readonly store: RuntimeStore;
  readonly host = new HostFacts();
  private logCache?: Logger;
  private logFd?: number;

  constructor(readonly globals: RuntimeGlobals) {
    this.store = new RuntimeStore(globals.root);
  }

  get log(): Logger {
    if (!this.logCache) {
      if (this.globals.log) this.logFd = openSync(this.globals.log, 'a', 0o600);
      this.logCache = createLogger({
        level: this.globals.debug ? 'debug' : 'info',
        format: this.globals.logFormat === 'json' ? 'json' : 'console',
        ...(this.logFd !== undefined ? { fd: this.logFd } : {}),
      });
    }
    return this.logCache;
  }

  launcher(): NativeLauncher {
    return new NativeLauncher(nativeHelperPath(process.env.KOKER_NATIVE_HELPER), this.log);
  }

  /** The host's cgroup driver (probed as koker's), with the container's parent cgroup. */
  async resources(path: SpecCgroupPath): Promise<ResourceDriver> {
    const config = { ...loadConfig({ flags: { root: this.globals.root } }), cgroupParent: path.parent };
    const child = rootContainer.createChildContainer();
    child.register(ConfigToken, { useValue: config });
    child.register(LoggerToken, { useValue: this.log });
    child.register(HostToken, { useValue: this.host });
    child.register(SyscallsToken, { useValue: new KoffiSyscalls() });
    const catalog = new DriverCatalog();
    registerBuiltinDrivers(catalog);
    const selection = await catalog.bind(
      child,
      Resources,
      { host: this.host, config },
      config.drivers[Resources.id],
    );
    this.log.debug(
      { contract: Resources.id, driver: selection.chosen.name, parent: path.parent },
      'Select driver',
    );
    return await child.resolve<ResourceDriver | Promise<ResourceDriver>>(Resources.token);
  }

  /** Whether the kernel has this kind of namespace (`time` came with Linux 5.6). */
  isNamespace(kind: string): boolean {
    return existsSync(`/proc/self/ns/${kind}`);
  }

  isFile(path: string): boolean {
    try {
      return !statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.logFd !== undefined) closeSync(this.logFd);
  }
}
