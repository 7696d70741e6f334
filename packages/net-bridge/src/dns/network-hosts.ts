import { open } from 'node:fs/promises';
import { type ContainerId, type Logger } from '@koker/core';
import { type Lease, type LeaseTable } from '../ipam/lease-table.js';
import { containerHostsEntries } from './hosts-file.js';

/**
 * Names on a user network resolve through each container's /etc/hosts: its own lines, then one
 * line per other container on the network with its name, aliases and short ID. No resolver runs
 * (no memory, no start cost); unknown names go to the host's resolvers from resolv.conf.
 * See docs/adr/0014-names-on-user-networks-through-hosts-files.md.
 */
export function networkHostsEntries(
  self: Lease,
  table: LeaseTable,
  others: readonly LeaseTable[] = [],
): string[] {
  // A container on several networks (`network connect`): its own line is from the network it
  // was started on, its peers from every network it is on.
  // A network's subnet tells its table apart (no two overlap); `others` may hold a copy of `table`.
  const tables = [
    table,
    ...others.filter((t) => t.subnet !== table.subnet && t.leases.some((l) => l.id === self.id)),
  ];
  const mine = tables.flatMap((t) => t.leases.filter((l) => l.id === self.id));
  const primary = mine.find((l) => !l.connected) ?? self;
  const own = containerHostsEntries({
    hostname: primary.hostname ?? self.hostname ?? self.id.slice(0, 12),
    name: primary.names?.[0] ?? self.names?.[0] ?? '',
    ipAddress: primary.ip,
  });
  const peers = tables.flatMap((t) =>
    t.leases
      .filter((peer) => peer.id !== self.id && peer.names !== undefined)
      .map((peer) => `${peer.ip}\t${[...new Set([...(peer.names ?? []), peer.id.slice(0, 12)])].join(' ')}`),
  );
  return [...own, ...(primary.extraHosts ?? []), ...peers];
}

/**
 * Rewrites the /etc/hosts of every container on the network that resolves names (the caller
 * holds the bridge's lock, so writers never interleave). In place, one write: the file is
 * bind-mounted into the container, and a rename would leave the container the old one. A file
 * that is gone (its container removed) is skipped; `created` is the one container whose file may
 * be made.
 */
export async function refreshNetworkHosts(
  table: LeaseTable,
  log: Logger,
  created?: ContainerId,
  others: readonly LeaseTable[] = [],
): Promise<void> {
  for (const lease of table.leases) {
    if (lease.hostsFile === undefined || lease.names === undefined) continue;
    const text = `${networkHostsEntries(lease, table, others).join('\n')}\n`;
    let file;
    try {
      file = await open(lease.hostsFile, lease.id === created ? 'w' : 'r+', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      await file.truncate(0);
      await file.write(text, 0);
    } finally {
      await file.close();
    }
    log.debug(
      { container: lease.id.slice(0, 12), file: lease.hostsFile },
      'Write the hosts file of the network',
    );
  }
}
