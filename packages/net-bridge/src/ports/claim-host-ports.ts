import { ConflictError, type PortMapping } from '@koker/core';
import { portHolder, type LeaseTable } from '../ipam/lease-table.js';
import { assertHostPortFree, pickFreeHostPort } from './host-port-probe.js';

/**
 * Host ports for each mapping, under the bridge's lock: the one asked for if neither another
 * container nor a host program has it (else a ConflictError), or (port 0) one the kernel offers.
 */
export async function claimHostPorts(
  table: LeaseTable,
  wanted: readonly PortMapping[],
): Promise<PortMapping[]> {
  const claimed: PortMapping[] = [];
  for (const port of wanted) {
    if (port.hostPort === 0) {
      const held = [...claimed, ...table.leases.flatMap((l) => l.ports)];
      const taken = (candidate: number) =>
        held.some((c) => c.protocol === port.protocol && c.hostPort === candidate);
      claimed.push({ ...port, hostPort: await pickFreeHostPort(port.protocol, port.hostIp, taken) });
      continue;
    }
    const holder = portHolder(table, port);
    if (holder) {
      throw new ConflictError(
        `host port ${port.hostIp}:${port.hostPort}/${port.protocol} is already published by container ${holder.id.slice(0, 12)}`,
        { hint: 'publish on another host port, or remove that container' },
      );
    }
    await assertHostPortFree(port.protocol, port.hostIp, port.hostPort);
    claimed.push({ ...port });
  }
  return claimed;
}
