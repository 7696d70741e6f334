import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KoffiSyscalls } from '@koker/host';
import { createLogger } from '@koker/log';
import { defaultCgroupParentName } from '@koker/cgroups';
import { loadConfig } from '@koker/core';
import { BridgeNetworkDriver } from '@koker/net-bridge';
import { fixtureRegistry, type FixtureRegistry } from '../../fixtures/fixture-registry.js';
import { leaksBetween, snapshotHost, type HostSnapshot } from '../../helpers/host-leaks.js';
import { koker, type KokerOptions, type KokerResult } from '../../helpers/koker.js';
import { removeCgroupParent } from '../../helpers/koker-root.js';
import { freeSubnetPrefix } from '../../net/helpers/net-fixture.js';

/**
 * One suite's koker: its own root, its own bridge (`koker-c<hex>`) and /24, images from a
 * registry on loopback (pulled once). `stop()` prunes, removes the bridge and the root, and
 * names anything of the suite's left on the host.
 */
export interface ContainerSuite {
  readonly root: string;
  readonly bridge: string;
  readonly subnetPrefix: string;
  readonly registry: FixtureRegistry;
  /** The busybox fixture image (Cmd sh), pulled. */
  readonly image: string;
  /** `koker --root ROOT ...` with the suite's config. */
  koker(args: readonly string[], options?: KokerOptions): Promise<KokerResult>;
  /** Like koker(), but throws with stderr unless it exits 0; returns stdout. */
  must(args: readonly string[], options?: KokerOptions): Promise<string>;
  /** The container directories under the suite's root (records and leftovers alike). */
  containerDirs(): string[];
  /**
   * Objects of this suite on the host that were not there when it started: mounts, links,
   * netns, cgroups, rules naming its root, bridge, cgroup parent or one of its containers
   * (other suites may run on this machine at the same time).
   */
  leaks(): string[];
  /** leaks() without the suite's bridge, its rules and its cgroup parent: what containers left. */
  containerLeaks(): string[];
  /** Every container ID `run -d` printed in this suite. */
  readonly ids: ReadonlySet<string>;
  stop(): Promise<void>;
}

export async function startContainerSuite(): Promise<ContainerSuite> {
  const before: HostSnapshot = snapshotHost();
  const root = mkdtempSync(join(tmpdir(), 'koker-e2e-containers-'));
  const bridge = `koker-c${randomBytes(3).toString('hex')}`;
  const subnetPrefix = freeSubnetPrefix();
  const configFile = join(root, 'config.json');
  writeFileSync(configFile, JSON.stringify({ network: { bridge, subnet: `${subnetPrefix}.0/24` } }));
  const env = { KOKER_CONFIG: configFile };
  const ids = new Set<string>();
  const run = async (args: readonly string[], options: KokerOptions = {}) => {
    const result = await koker(['--root', root, ...args], { ...options, env: { ...env, ...options.env } });
    for (const line of result.stdout.split('\n')) if (/^[0-9a-f]{64}$/.test(line)) ids.add(line);
    // A run killed before it printed its ID still left its ID on disk: remember those too.
    for (const dir of ['containers', 'run/network/containers', 'run/netns']) {
      for (const entry of existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : []) {
        const id = /([0-9a-f]{64})/.exec(entry)?.[1];
        if (id) ids.add(id);
      }
    }
    return result;
  };
  const cgroupParent = defaultCgroupParentName(root);
  const ours = (leak: string) =>
    leak.includes(root) ||
    leak.includes(bridge) ||
    new RegExp(`/${cgroupParent}(/|$)`).test(leak) ||
    [...ids].some((id) => leak.includes(id) || leak.includes(`veth${id.slice(0, 11)}`));
  const must = async (args: readonly string[], options: KokerOptions = {}) => {
    const result = await run(args, options);
    if (result.code !== 0)
      throw new Error(`koker ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const registry = await fixtureRegistry();
  const image = registry.images.busybox;
  await must(['pull', image]);
  return {
    root,
    bridge,
    subnetPrefix,
    registry,
    image,
    koker: run,
    must,
    containerDirs: () => {
      const dir = join(root, 'containers');
      return existsSync(dir) ? readdirSync(dir).filter((e) => e !== '.lock') : [];
    },
    ids,
    leaks: () => leaksBetween(before, snapshotHost()).filter(ours),
    containerLeaks: () =>
      leaksBetween(before, snapshotHost())
        .filter(ours)
        .filter((leak) => leak !== `links: ${bridge}` && !/^iptables: .*koker:koker-c[0-9a-f]+:/.test(leak))
        .filter((leak) => !new RegExp(`/${cgroupParent}$`).test(leak)),
    stop: async () => {
      // Each step runs even if one before it failed: a failed test must not leak more.
      const errors: unknown[] = [];
      const step = async (fn: () => unknown) => {
        try {
          await fn();
        } catch (error) {
          errors.push(error);
        }
      };
      // Whatever a failed test left running goes too.
      await step(async () => {
        const left = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
        if (left.length > 0) await run(['rm', '-f', ...left]);
      });
      await step(() => run(['system', 'prune', '-f']));
      await step(async () => {
        const config = { ...loadConfig({ env: {}, file: configFile }), root, runRoot: join(root, 'run') };
        const log = createLogger({ level: 'silent', format: 'json', fd: openSync('/dev/null', 'w') });
        await new BridgeNetworkDriver({ config, log, syscalls: new KoffiSyscalls() }).removeBridge();
      });
      await step(() => removeCgroupParent(cgroupParent));
      await step(() => registry.stop());
      rmSync(root, { recursive: true, force: true });
      if (errors.length > 0) throw new AggregateError(errors, 'the container suite did not stop cleanly');
    },
  };
}

/** Polls `check` until it holds (or fails after `timeoutMs`, naming `what`). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first line of stdout: what `run -d` prints. */
/** The events journal from `since` (epoch seconds) until now, one line per event through `format`. */
export async function eventsSince(
  suite: Pick<ContainerSuite, 'must'>,
  since: number,
  format: string,
  filters: readonly string[] = [],
): Promise<string[]> {
  const out = await suite.must([
    'events',
    '--since',
    String(since),
    '--until',
    String(Math.ceil(Date.now() / 1000) + 1),
    ...filters.flatMap((f) => ['--filter', f]),
    '--format',
    format,
  ]);
  return out.split('\n').filter(Boolean);
}

export const firstLine = (text: string): string => text.trim().split('\n')[0] ?? '';

/** Whether a host PID is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The cgroup paths of a host process (one per hierarchy), or [] once it is gone. */
export function cgroupsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
