import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { loadConfig, type KokerConfig } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';
import { must } from './host-commands.js';

/** The IPv4 routes of the host, as network/prefix pairs (to pick subnets nobody uses). */
function hostRoutes(): { network: number; prefix: number }[] {
  return must('ip', ['-4', '-o', 'route', 'show', 'table', 'all'])
    .split('\n')
    .map((line) => /^(?:\w+ )?(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ network: toNumber(m[1] as string), prefix: Number(m[2] ?? 32) }));
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function overlaps(a: { network: number; prefix: number }, b: { network: number; prefix: number }): boolean {
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = shorter === 0 ? 0 : (0xffffffff << (32 - shorter)) >>> 0;
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}

/** A random 10.x.y.0/24 (as "10.x.y") that no route of this host touches. */
export function freeSubnetPrefix(avoid: readonly string[] = []): string {
  const routes = hostRoutes();
  for (;;) {
    const prefix = `10.${randomInt(100, 250)}.${randomInt(0, 256)}`;
    const candidate = { network: toNumber(`${prefix}.0`), prefix: 24 };
    if (avoid.includes(prefix)) continue;
    if (!routes.some((route) => route.prefix > 0 && overlaps(route, candidate))) return prefix;
  }
}

export interface NetFixture {
  readonly root: string;
  readonly config: KokerConfig;
  readonly bridge: string;
  readonly subnetPrefix: string;
  readonly driver: BridgeNetworkDriver;
  readonly logFile: string;
  /** Everything the driver logged at debug so far. */
  log(): string;
  /** Detaches every container, deletes the bridge and the root. */
  destroy(): Promise<void>;
}

/** A driver with its own root, bridge (`koker-t<hex>`) and /24, logging at debug to a file. */
export function createNetFixture(): NetFixture {
  const root = mkdtempSync('/tmp/koker-e2e-net-');
  const bridge = `koker-t${randomBytes(3).toString('hex')}`;
  const subnetPrefix = freeSubnetPrefix();
  const config: KokerConfig = {
    ...loadConfig({ env: {}, file: '/nonexistent', readFile: () => undefined }),
    root,
    runRoot: join(root, 'run'),
    network: { bridge, subnet: `${subnetPrefix}.0/24` },
  };
  const logFile = join(root, 'debug.log');
  const log = createLogger({ level: 'debug', format: 'console', color: false, fd: openSync(logFile, 'a') });
  const driver = new BridgeNetworkDriver({ config, log, syscalls: new KoffiSyscalls() });
  return {
    root,
    config,
    bridge,
    subnetPrefix,
    driver,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    destroy: async () => {
      try {
        for (const id of await driver.list()) await driver.detach(id);
        await driver.removeBridge();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
