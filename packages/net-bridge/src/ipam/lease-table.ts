import {
  ConflictError,
  InvalidValueError,
  StateError,
  parseContainerId,
  type ContainerId,
  type PortProtocol,
} from '@koker/core';
import { type ProcessOwner } from '../state/process-owner.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';
import { containsAddress, type Subnet } from './subnet.js';

export interface HostPortClaim {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly protocol: PortProtocol;
}

/** One container's address and host ports on a bridge. */
export interface Lease {
  readonly id: ContainerId;
  readonly ip: string;
  readonly ports: readonly HostPortClaim[];
  /** The namespace file that keeps the container's network alive. */
  readonly netns: string;
  /** The process that took the lease: it is alive while it sets the network up. */
  readonly owner: ProcessOwner;
  /**
   * The run root of the koker root that owns the container (its attachment record is there):
   * the table is shared by every root on the host. Absent in tables written before it was.
   */
  readonly runRoot?: string;
  /**
   * On a user network: the container's name then its aliases (what the others resolve it by),
   * its hostname, and the file its /etc/hosts is bind-mounted from (rewritten as peers change).
   */
  readonly names?: readonly string[];
  readonly hostname?: string;
  readonly hostsFile?: string;
  /** `--add-host` lines, kept in the file after the container's own. */
  readonly extraHosts?: readonly string[];
  /** `--dns` on a user network: the servers its resolver asks for this container's other names. */
  readonly dns?: readonly string[];
  /** A network added by `network connect` (not the one the container was started on). */
  readonly connected?: boolean;
}

/** Every lease of one bridge, for the whole host: `/run/koker/network/bridges/<bridge>/leases.json`. */
export interface LeaseTable {
  readonly version: 1;
  readonly subnet: string;
  /** The bridge's address (`--gateway`), where the network's resolver listens. */
  readonly gateway?: string;
  /** Where the next search for a free address starts: addresses are not reused at once. */
  readonly next: string;
  readonly leases: readonly Lease[];
}

export function emptyLeaseTable(subnet: Subnet): LeaseTable {
  return {
    version: 1,
    subnet: subnet.cidr,
    gateway: formatIpv4(subnet.gateway),
    next: formatIpv4(subnet.first),
    leases: [],
  };
}

function corrupt(path: string, reason: string): StateError {
  return new StateError(`the lease file ${path} is corrupt: ${reason}`, {
    hint: 'stop koker containers and remove the file; leases are rebuilt on the next run',
  });
}

/** Parses a lease file, checking every field (it is shared by concurrent koker processes). */
export function parseLeaseTable(text: string, path: string): LeaseTable {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(path, (error as Error).message);
  }
  const table = data as Partial<LeaseTable> | null;
  if (!table || table.version !== 1 || typeof table.subnet !== 'string' || typeof table.next !== 'string')
    throw corrupt(path, 'expected {version: 1, subnet, next, leases}');
  if (!Array.isArray(table.leases)) throw corrupt(path, 'leases is not a list');
  const leases = table.leases.map((lease: Partial<Lease>) => {
    try {
      parseIpv4(String(lease.ip));
      parseContainerId(String(lease.id));
    } catch (error) {
      throw corrupt(path, (error as Error).message);
    }
    const owner = lease.owner;
    if (
      typeof lease.netns !== 'string' ||
      !Array.isArray(lease.ports) ||
      !owner ||
      typeof owner.pid !== 'number' ||
      (lease.runRoot !== undefined && typeof lease.runRoot !== 'string') ||
      (lease.names !== undefined &&
        !(Array.isArray(lease.names) && lease.names.every((n) => typeof n === 'string'))) ||
      (lease.hostsFile !== undefined && typeof lease.hostsFile !== 'string') ||
      (lease.dns !== undefined &&
        !(Array.isArray(lease.dns) && lease.dns.every((d) => typeof d === 'string')))
    )
      throw corrupt(path, `lease of ${String(lease.id)} is incomplete`);
    return lease as Lease;
  });
  if (table.gateway !== undefined) {
    try {
      parseIpv4(String(table.gateway));
    } catch (error) {
      throw corrupt(path, (error as Error).message);
    }
  }
  return {
    version: 1,
    subnet: table.subnet,
    ...(table.gateway !== undefined ? { gateway: table.gateway } : {}),
    next: table.next,
    leases,
  };
}

/**
 * The next free address at or after the cursor, wrapping around: never the network, gateway or
 * broadcast address, never one already leased, never one outside `first..last` (an `--ip-range`).
 */
export function nextFreeAddress(table: LeaseTable, subnet: Subnet): string {
  const used = new Set(table.leases.map((lease) => parseIpv4(lease.ip)));
  const size = subnet.last - subnet.first + 1;
  let start = parseIpv4(table.next);
  if (
    !containsAddress(subnet.network, subnet.prefixLength, start) ||
    start < subnet.first ||
    start > subnet.last
  )
    start = subnet.first;
  for (let step = 0; step < size; step++) {
    const candidate = subnet.first + ((start - subnet.first + step) % size);
    if (!used.has(candidate) && candidate !== subnet.gateway) return formatIpv4(candidate);
  }
  throw new ConflictError(
    `no free address left in ${subnet.cidr}: ${table.leases.length} containers hold one`,
    {
      hint: 'remove stopped containers, or configure a larger network.subnet',
    },
  );
}

/** `--ip`: the wanted address, if it is a free one of the range (a ConflictError if taken). */
export function chosenAddress(table: LeaseTable, subnet: Subnet, wanted: string): string {
  const address = parseIpv4(wanted, '--ip address');
  if (address < subnet.first || address > subnet.last || address === subnet.gateway)
    throw new InvalidValueError(
      '--ip address',
      wanted,
      `not an address containers may have in ${subnet.cidr}`,
    );
  const holder = table.leases.find((lease) => parseIpv4(lease.ip) === address);
  if (holder)
    throw new ConflictError(`address ${wanted} is already in use by container ${holder.id.slice(0, 12)}`);
  return formatIpv4(address);
}

/** Whether two host port claims would catch the same packets. */
export function claimsOverlap(a: HostPortClaim, b: HostPortClaim): boolean {
  return (
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0')
  );
}

/** The lease already holding a host port that `claim` wants, if any. */
export function portHolder(table: LeaseTable, claim: HostPortClaim): Lease | undefined {
  return table.leases.find((lease) => lease.ports.some((held) => claimsOverlap(held, claim)));
}

export function withLease(table: LeaseTable, lease: Lease, subnet: Subnet): LeaseTable {
  const after = parseIpv4(lease.ip) + 1;
  return {
    ...table,
    gateway: formatIpv4(subnet.gateway),
    next: formatIpv4(after > subnet.last ? subnet.first : after),
    leases: [...table.leases.filter((l) => l.id !== lease.id), lease],
  };
}

export function withoutLeases(table: LeaseTable, ids: ReadonlySet<string>): LeaseTable {
  return { ...table, leases: table.leases.filter((lease) => !ids.has(lease.id)) };
}
