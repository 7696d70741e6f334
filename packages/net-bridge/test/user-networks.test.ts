import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from '../src/ipam/ipv4.js';
import { emptyLeaseTable, nextFreeAddress } from '../src/ipam/lease-table.js';
import { parseSubnet, withAddressing } from '../src/ipam/subnet.js';
import { parseNetworkName } from '../src/networks/network-definitions.js';
import { freePoolSubnet } from '../src/networks/subnet-pool.js';
import { networkHostsEntries } from '../src/dns/network-hosts.js';

const range = (cidr: string) => {
  const subnet = parseSubnet(cidr);
  return { network: subnet.network, prefixLength: subnet.prefixLength, what: cidr };
};

describe('user networks', () => {
  it('takes the first /24 of the pool that overlaps no route and no other network', () => {
    expect(freePoolSubnet([]).cidr).toBe('10.70.0.0/24');
    expect(freePoolSubnet([range('10.70.0.0/24'), range('10.70.1.0/25')]).cidr).toBe('10.70.2.0/24');
    expect(freePoolSubnet([range('10.70.0.0/16')]).cidr).toBe('10.71.0.0/24');
    expect(() => freePoolSubnet([range('10.64.0.0/10')])).toThrow('non-overlapping');
  });

  it('hands out addresses from --ip-range, never the --gateway', () => {
    const subnet = withAddressing(parseSubnet('10.70.5.0/24'), '10.70.5.130', '10.70.5.128/30');
    expect(formatIpv4(subnet.gateway)).toBe('10.70.5.130');
    let table = emptyLeaseTable(subnet);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ip = nextFreeAddress(table, subnet);
      got.push(ip);
      table = {
        ...table,
        next: formatIpv4(parseIpv4(ip) + 1),
        leases: [
          ...table.leases,
          {
            id: String(i).repeat(64) as never,
            ip,
            ports: [],
            netns: '',
            owner: { pid: 1, start: 0, boot: '' },
          },
        ],
      };
    }
    expect(got).toEqual(['10.70.5.128', '10.70.5.129', '10.70.5.131']);
    expect(() => nextFreeAddress(table, subnet)).toThrow('no free address');
    expect(() => withAddressing(parseSubnet('10.70.5.0/24'), '10.70.6.1')).toThrow('not a host address');
    expect(() => withAddressing(parseSubnet('10.70.5.0/24'), undefined, '10.70.6.0/25')).toThrow(
      'not inside',
    );
  });

  it("refuses names Docker refuses, and the modes' names", () => {
    expect(parseNetworkName('backend_1.x-y')).toBe('backend_1.x-y');
    for (const bad of ['-x', 'a b', 'bridge', 'host', 'none', ''])
      expect(() => parseNetworkName(bad)).toThrow('network name');
  });
});

describe('names on a user network', () => {
  const owner = { pid: 1, start: 0, boot: '' };
  const lease = (n: number, names?: string[]) => ({
    id: String(n).repeat(64) as never,
    ip: `10.70.0.${n + 1}`,
    ports: [],
    netns: '',
    owner,
    ...(names ? { names, hostname: `h${n}`, hostsFile: `/x/${n}` } : {}),
  });

  it("lists the container's own lines, then every other named container with its aliases and short ID", () => {
    const web = lease(1, ['web', 'www']);
    const table = {
      version: 1 as const,
      subnet: '10.70.0.0/24',
      next: '',
      leases: [web, lease(2, ['db']), lease(3)],
    };
    const lines = networkHostsEntries(web, table);
    expect(lines.slice(-2)).toEqual(['10.70.0.2\th1 web', `10.70.0.3\tdb ${'2'.repeat(12)}`]);
    expect(networkHostsEntries(lease(2, ['db']), table).at(-1)).toBe(`10.70.0.2\tweb www ${'1'.repeat(12)}`);
  });

  it('a container on two networks (network connect) sees the peers of both, its own line from the first', () => {
    const a = {
      version: 1 as const,
      subnet: '10.70.0.0/24',
      next: '',
      leases: [lease(1, ['cli']), lease(2, ['web'])],
    };
    const connected = { ...lease(1, ['cli']), ip: '10.70.1.9', connected: true };
    const b = {
      version: 1 as const,
      subnet: '10.70.1.0/24',
      next: '',
      leases: [connected, { ...lease(3, ['db']), ip: '10.70.1.4' }],
    };
    const lines = networkHostsEntries(connected, b, [a, b]);
    expect(lines).toContain('10.70.0.2\th1 cli');
    expect(lines.filter((l) => l.includes('web'))).toEqual([`10.70.0.3\tweb ${'2'.repeat(12)}`]);
    expect(lines.filter((l) => l.includes('db'))).toEqual([`10.70.1.4\tdb ${'3'.repeat(12)}`]);
  });
});
