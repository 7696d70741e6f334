import 'reflect-metadata';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../src/testing/index.js';
import {
  DEFAULT_CONFIG,
  DriverCatalog,
  DriverUnavailableError,
  contractKey,
  ConfigToken,
  HostToken,
  LoggerToken,
  SyscallsToken,
  type DriverContext,
  type DriverRegistration,
  type HostView,
  type ProbeContext,
} from '../src/index.js';

interface Greeter {
  greet(): string;
}
const Greeters = contractKey<Greeter>('greeter');
const host: HostView = {
  kernelRelease: '6.1.0',
  mounts: [],
  cgroupLayout: { mode: 'none', unifiedControllers: [], v1: [], self: {} },
  filesystems: [],
  isRoot: true,
};
const context: ProbeContext = { host, config: DEFAULT_CONFIG };

function driver(name: string, priority: number, usable: boolean | 'throws'): DriverRegistration<Greeter> {
  return {
    contract: Greeters,
    name,
    priority,
    description: `${name} greeter`,
    probe: () => {
      if (usable === 'throws') throw new Error('kaboom');
      return usable ? { usable: true } : { usable: false, reason: `${name} needs a feature this host lacks` };
    },
    create: () => ({ greet: () => `hello from ${name}` }),
  };
}

describe('DriverCatalog', () => {
  it('picks the first usable driver by priority and says why others were passed over', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('low', 10, true));
    catalog.add(driver('high', 90, false));
    catalog.add(driver('mid', 50, 'throws'));
    const selection = await catalog.select(Greeters, context);
    expect(selection.chosen.name).toBe('low');
    expect(selection.passedOver.map((p) => [p.name, p.result])).toEqual([
      ['high', { usable: false, reason: 'high needs a feature this host lacks' }],
      ['mid', { usable: false, reason: 'probe failed: kaboom' }],
    ]);
  });

  it('forcing an unusable driver fails with the probe reason', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('good', 10, true));
    catalog.add(driver('bad', 90, false));
    const attempt = catalog.select(Greeters, context, 'bad');
    await expect(attempt).rejects.toBeInstanceOf(DriverUnavailableError);
    await expect(attempt).rejects.toThrow(
      'the greeter driver "bad" cannot be used on this host: bad needs a feature this host lacks',
    );
  });

  it('forcing a usable driver skips higher priorities', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('good', 10, true));
    catalog.add(driver('better', 90, true));
    expect((await catalog.select(Greeters, context, 'good')).chosen.name).toBe('good');
  });

  it('forcing an unknown driver lists the known ones', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('good', 10, true));
    await expect(catalog.select(Greeters, context, 'nope')).rejects.toThrow(/no greeter driver named "nope"/);
  });

  it('fails with every reason when nothing is usable', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('a', 10, false));
    catalog.add(driver('b', 20, false));
    await expect(catalog.select(Greeters, context)).rejects.toThrow(
      'no usable greeter driver on this host: b: b needs a feature this host lacks; a: a needs a feature this host lacks',
    );
  });

  it('refuses two drivers of one name', () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('a', 10, true));
    expect(() => catalog.add(driver('a', 20, true))).toThrow(/already registered/);
  });

  it('binds the chosen driver into a tsyringe container under the contract token', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('only', 10, true));
    const child = container.createChildContainer();
    const { log } = recordingLogger();
    const syscalls = { mount() {}, umount() {}, unshare() {}, setns() {} };
    child.register(ConfigToken, { useValue: DEFAULT_CONFIG });
    child.register(LoggerToken, { useValue: log });
    child.register(HostToken, { useValue: host });
    child.register(SyscallsToken, { useValue: syscalls });
    let given: DriverContext | undefined;
    catalog.add({ ...driver('spy', 5, true), create: (c) => ((given = c), { greet: () => 'spy' }) });
    await catalog.bind(child, Greeters, context);
    const greeter = child.resolve<Greeter>(Greeters.token);
    expect(greeter.greet()).toBe('hello from only');
    expect(child.resolve<Greeter>(Greeters.token)).toBe(greeter);
    // The driver is built from plain values, not from the container.
    await catalog.bind(child, Greeters, context, 'spy');
    child.resolve<Greeter>(Greeters.token);
    expect(given).toEqual({ config: DEFAULT_CONFIG, log, host, syscalls });
  });

  it('loads a third-party driver from a separate package and lets it outrank built-ins', async () => {
    const catalog = new DriverCatalog();
    catalog.add(driver('builtin', 50, true));
    // A real package on disk with its own package.json, loaded by its path.
    await catalog.load(new URL('./fixtures/koker-driver-fixture/index.js', import.meta.url).href);
    const selection = await catalog.select(Greeters, context);
    expect(selection.chosen.name).toBe('fixture-greeter');
    expect((await selection.chosen.create(container)).greet()).toBe('hello from a third-party package');
  });

  it('reports a module that cannot be loaded or registers nothing', async () => {
    const catalog = new DriverCatalog();
    await expect(catalog.load('koker-driver-that-does-not-exist')).rejects.toThrow(
      /cannot load driver module/,
    );
    await expect(catalog.load('node:path')).rejects.toThrow(/exports no register\(catalog\) function/);
  });
});
