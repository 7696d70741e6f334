import { type LeaseTable } from '../ipam/lease-table.js';
import { parseSubnet } from '../ipam/subnet.js';
import { formatIpv4 } from '../ipam/ipv4.js';

/** A name koker-dns can hold: labels of [A-Za-z0-9_-], 1-63 each, 253 in all. */
const DNS_NAME = /^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*$/;

/**
 * What koker-dns serves on one network (native/src/dns/records.c reads it): the gateway it
 * listens on, the subnet queries must come from, the servers other names are asked, and one
 * `host` line per container with a name on the network: `<ip> <short id> <name> <aliases...>`;
 * `forward <ip> <servers...>` for a container with `--dns` servers of its own.
 * Undefined when no container on the network has a name (the default bridge, an empty network).
 */
export function resolverRecordsText(table: LeaseTable, upstreams: readonly string[]): string | undefined {
  const named = table.leases.filter((lease) => lease.names !== undefined);
  if (named.length === 0) return undefined;
  const subnet = parseSubnet(table.subnet);
  const gateway = table.gateway ?? formatIpv4(subnet.gateway);
  const lines = [
    `gateway ${gateway}`,
    `subnet ${formatIpv4(subnet.network)} ${subnet.prefixLength}`,
    ...upstreams.slice(0, 4).map((server) => `upstream ${server}`),
    ...named.map((lease) => {
      const names = (lease.names ?? []).filter((name) => name.length <= 253 && DNS_NAME.test(name));
      // The short ID first: it names the container on each of its networks (see serve.c).
      return `host ${lease.ip} ${[...new Set([lease.id.slice(0, 12), ...names])].join(' ')}`;
    }),
    ...named
      .filter((lease) => lease.dns !== undefined && lease.dns.length > 0)
      .map((lease) => `forward ${lease.ip} ${(lease.dns ?? []).slice(0, 4).join(' ')}`),
  ];
  return `${lines.join('\n')}\n`;
}
