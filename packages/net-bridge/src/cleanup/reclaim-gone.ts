import { type Logger } from '@koker/core';
import { withoutLeases, type LeaseTable } from '../ipam/lease-table.js';
import { type RtNetlink } from '../netlink/rtnetlink.js';
import { type NetnsFiles } from '../netns/netns-files.js';
import { type LeaseStore } from '../state/lease-store.js';
import { recordsOf, type NetworkState } from '../state/network-state.js';
import { isAlive } from '../state/process-owner.js';
import { type ContainerTeardown } from './container-teardown.js';

/**
 * The garbage collector of a bridge's leases, run under its lock: a lease whose container is gone
 * (no namespace pinned, and the process that took it has ended: a crash, or a reboot) has its
 * rules, links and record removed before its address is reused, whichever koker root owns it.
 */
export class GoneLeaseReclaimer {
  constructor(
    private readonly log: Logger,
    private readonly netns: NetnsFiles,
    private readonly state: NetworkState,
    private readonly teardown: ContainerTeardown,
  ) {}

  /** The table without the gone containers' leases (written back if any was dropped). */
  async reclaim(store: LeaseStore, table: LeaseTable, rt: RtNetlink): Promise<LeaseTable> {
    const gone = table.leases.filter((l) => !isAlive(l.owner) && !this.netns.isPinned(l.netns));
    if (gone.length === 0) return table;
    for (const lease of gone) {
      this.log.info(
        { container: lease.id.slice(0, 12), ip: lease.ip },
        'Reclaim the network of a container that is gone',
      );
      // The container may belong to another koker root: its record is in that root's run root.
      const records = lease.runRoot === undefined ? this.state.records : recordsOf(lease.runRoot);
      const record = await records.read(lease.id).catch(() => undefined);
      await this.teardown.run(lease.id, record, rt, lease.netns);
      await records.remove(lease.id);
    }
    const after = withoutLeases(table, new Set(gone.map((l) => l.id)));
    await store.write(after);
    return after;
  }
}
