import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '@koker/host';
import { isValidLinkName } from '../veth-names.js';
import { type ContainerId, type Logger } from '@koker/core';
import { AttachmentRecords } from './attachment-record.js';
import { ConnectionRecords } from './connection-record.js';
import { LeaseStore } from './lease-store.js';
import { type LeaseTable } from '../ipam/lease-table.js';
import { type NetworkResolver } from '../dns/network-resolver.js';

/**
 * The directory of every bridge's lease table, lock and rules marker: one per host, whatever the
 * koker root, since a bridge is one kernel object that every root's containers share (a table per
 * root handed two containers the same address). On a tmpfs, like the namespaces it describes.
 */
export const HOST_BRIDGES_DIR = '/run/koker/network/bridges';

/**
 * Where the driver keeps what it knows, all on tmpfs (a container's network does not outlive a
 * reboot, and neither does this state): per bridge, for the whole host,
 * `<bridgesDir>/<bridge>/leases.json` (+ `lock`, `rules-checked.json`); per koker root, under its
 * run root, `network/containers/<id>.json` and the pinned namespaces `netns/<id>`.
 */
/** The attachment records of the koker root whose run root is `runRoot`. */
export function recordsOf(runRoot: string): AttachmentRecords {
  return new AttachmentRecords(join(runRoot, 'network', 'containers'));
}

export class NetworkState {
  readonly records: AttachmentRecords;
  /** `network connect`'s extra networks of running containers. */
  readonly connections: ConnectionRecords;

  constructor(
    readonly runRoot: string,
    private readonly log: Logger,
    private readonly bridgesDir: string = HOST_BRIDGES_DIR,
    /** The name resolver of user networks, fed from every table written. */
    readonly resolver?: NetworkResolver,
  ) {
    this.records = recordsOf(runRoot);
    this.connections = new ConnectionRecords(join(runRoot, 'network', 'connections'));
  }

  /** The directory of pinned network namespaces. */
  get netnsDir(): string {
    return join(this.runRoot, 'netns');
  }

  netnsPath(id: ContainerId): string {
    return join(this.netnsDir, id);
  }

  /** The host's directory of bridges. */
  get bridgesDirectory(): string {
    return this.bridgesDir;
  }

  /** Everything koker keeps about one bridge, for the whole host (removed with it). */
  bridgeDir(bridge: string): string {
    return join(this.bridgesDir, bridge);
  }

  /** When the bridge's iptables rules were last read back. */
  rulesCheckedPath(bridge: string): string {
    return join(this.bridgeDir(bridge), 'rules-checked.json');
  }

  /**
   * Runs `work` holding the host's lock of subnet choices: two koker processes (of any root)
   * creating networks at once never pick the same free subnet.
   */
  async poolLocked<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(this.bridgesDir, { recursive: true, mode: 0o700 });
    return withFileLock(
      join(this.bridgesDir, 'subnets.lock'),
      { timeoutMs: 60_000, log: this.log, what: 'the subnets of bridges' },
      work,
    );
  }

  /** The subnet of every bridge with a lease table on this host, whatever its koker root. */
  async bridgeSubnets(): Promise<{ bridge: string; subnet: string }[]> {
    let names: string[];
    try {
      names = await readdir(this.bridgesDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: { bridge: string; subnet: string }[] = [];
    for (const bridge of names) {
      if (!isValidLinkName(bridge)) continue;
      const table = await this.leases(bridge)
        .current()
        .catch(() => undefined);
      if (table) found.push({ bridge, subnet: table.subnet });
    }
    return found;
  }

  /** Every bridge's lease table on this host (for /etc/hosts of containers on several networks). */
  async allTables(): Promise<LeaseTable[]> {
    const tables: LeaseTable[] = [];
    for (const { bridge } of await this.bridgeSubnets()) {
      const table = await this.leases(bridge)
        .current()
        .catch(() => undefined);
      if (table) tables.push(table);
    }
    return tables;
  }

  leases(bridge: string): LeaseStore {
    return new LeaseStore(bridge, this.bridgeDir(bridge), this.log, this.resolver);
  }
}
