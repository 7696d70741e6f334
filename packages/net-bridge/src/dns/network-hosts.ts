import { open } from 'node:fs/promises';
import { type ContainerId, type Logger } from '@koker/core';
import { type Lease, type LeaseTable } from '../ipam/lease-table.js';
import { containerHostsEntries } from './hosts-file.js';

/**
 * Names on a user network resolve through each container's /etc/hosts: its own lines, then one
 * line per other container on the network with its name, aliases and short ID. No resolver runs
 * (no memory, no start cost); unknown names go to the host's resolvers from resolv.conf.
 * See docs/adr/0013-names-on-user-networks-through-hosts-files.md.
 */
export function networkHostsEntries(self: Lease, table: LeaseTable): string[] {
  const own = containerHostsEntries({
    hostname: self.hostname ?? self.id.slice(0, 12),
    name: self.names?.[0] ?? '',
    ipAddress: self.ip,
  });
  const peers = table.leases
    .filter((peer) => peer.id !== self.id && peer.names !== undefined)
    .map((peer) => `${peer.ip}\t${[...new Set([...(peer.names ?? []), peer.id.slice(0, 12)])].join(' ')}`);
  return [...own, ...(self.extraHosts ?? []), ...peers];
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
): Promise<void> {
  for (const lease of table.leases) {
    if (lease.hostsFile === undefined || lease.names === undefined) continue;
    const text = `${networkHostsEntries(lease, table).join('\n')}\n`;
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
