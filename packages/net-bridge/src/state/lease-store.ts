import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, type ContainerId, type Logger } from '@koker/core';
import { withFileLock, writeFileAtomic } from '@koker/host';
import { emptyLeaseTable, parseLeaseTable, withoutLeases, type LeaseTable } from '../ipam/lease-table.js';
import { type Subnet } from '../ipam/subnet.js';
import { type NetworkResolver } from '../dns/network-resolver.js';
import { readOptionalFile } from './optional-file.js';

/**
 * A bridge's lease table, `<dir>/leases.json`, and the lock (`<dir>/lock`, an flock: safe between
 * koker processes, dropped by the kernel if one dies) that every change to it is made under.
 */
export class LeaseStore {
  private readonly path: string;
  private readonly lockPath: string;

  constructor(
    private readonly bridge: string,
    private readonly dir: string,
    private readonly log: Logger,
    /** Given the table after each change: the names the network's resolver serves follow it. */
    private readonly resolver?: NetworkResolver,
  ) {
    this.path = join(dir, 'leases.json');
    this.lockPath = join(dir, 'lock');
  }

  /**
   * Runs `work` holding the bridge's lock. 60 s, not the usual 30: the holder may be reclaiming
   * the networks of many gone containers, an iptables batch each.
   */
  async locked<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    return withFileLock(
      this.lockPath,
      { timeoutMs: 60_000, log: this.log, what: `the leases of bridge ${this.bridge}` },
      work,
    );
  }

  /** The table as it is, or undefined if none was written. */
  async current(): Promise<LeaseTable | undefined> {
    const text = await readOptionalFile(this.path);
    return text === undefined ? undefined : parseLeaseTable(text, this.path);
  }

  /**
   * The table for the configured subnet: empty if there is none, or if the subnet changed while
   * no container used the bridge (a ConflictError while some do).
   */
  async forSubnet(subnet: Subnet): Promise<LeaseTable> {
    const table = await this.current();
    if (table === undefined) return emptyLeaseTable(subnet);
    if (table.subnet === subnet.cidr) return table;
    if (table.leases.length > 0) {
      throw new ConflictError(
        `bridge ${this.bridge} has ${table.leases.length} containers in ${table.subnet}, but the configured subnet is ${subnet.cidr}`,
        { hint: 'remove those containers first, or keep the old subnet' },
      );
    }
    return emptyLeaseTable(subnet);
  }

  async write(table: LeaseTable): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(table, null, 2)}\n`);
    await this.resolver?.publish(this.bridge, table);
  }

  async holds(id: ContainerId): Promise<boolean> {
    return (await this.current())?.leases.some((l) => l.id === id) ?? false;
  }

  /**
   * Under the lock: gives up the container's address and host ports, if it has any; then `after`
   * with the table left (still under the lock).
   */
  async release(id: ContainerId, after?: (table: LeaseTable) => Promise<void>): Promise<void> {
    await this.locked(async () => {
      const table = await this.current();
      if (!table?.leases.some((l) => l.id === id)) return;
      this.log.debug({ bridge: this.bridge, container: id.slice(0, 12) }, 'Release IP address');
      const left = withoutLeases(table, new Set([id]));
      await this.write(left);
      await after?.(left);
    });
  }

  /** Deletes the table (the bridge is being removed; the caller holds the lock). */
  async remove(): Promise<void> {
    await rm(this.path, { force: true });
    await this.resolver?.withdraw(this.bridge);
  }
}
