import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from '../src/ipam/ipv4.js';
import { emptyLeaseTable, nextFreeAddress } from '../src/ipam/lease-table.js';
import { parseSubnet, withAddressing } from '../src/ipam/subnet.js';
import { parseNetworkName } from '../src/networks/network-definitions.js';
import { freePoolSubnet } from '../src/networks/subnet-pool.js';
import { resolverRecordsText } from '../src/dns/resolver-records.js';
import { resolverResolvConf, resolverUpstreams } from '../src/dns/resolv-conf.js';

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

describe('names on a user network (the records koker-dns serves)', () => {
  const owner = { pid: 1, start: 0, boot: '' };
  const lease = (n: number, names?: string[]) => ({
    id: String(n).repeat(64) as never,
    ip: `10.70.0.${n + 1}`,
    ports: [],
    netns: '',
    owner,
    ...(names ? { names } : {}),
  });
  const table = (leases: ReturnType<typeof lease>[], gateway?: string) => ({
    version: 1 as const,
    subnet: '10.70.0.0/24',
    ...(gateway ? { gateway } : {}),
    next: '',
    leases,
  });

  it('lists the gateway, the subnet, the upstream servers, then every named container with its aliases and short ID', () => {
    const text = resolverRecordsText(table([lease(1, ['web', 'www']), lease(2, ['db']), lease(3)]), [
      '192.0.2.53',
    ]);
    expect(text).toBe(
      [
        'gateway 10.70.0.1',
        'subnet 10.70.0.0 24',
        'upstream 192.0.2.53',
        `host 10.70.0.2 ${'1'.repeat(12)} web www`,
        `host 10.70.0.3 ${'2'.repeat(12)} db`,
        '',
      ].join('\n'),
    );
  });

  it('takes the --gateway of the table, drops names a DNS label cannot hold, and has nothing without names', () => {
    const text = resolverRecordsText(table([lease(1, ['web', 'a b', 'x'.repeat(64)])], '10.70.0.254'), []);
    expect(text).toContain('gateway 10.70.0.254\n');
    expect(text).toContain(`host 10.70.0.2 ${'1'.repeat(12)} web\n`);
    expect(resolverRecordsText(table([{ ...lease(1, ['web']), dns: ['192.0.2.8'] }]), [])).toContain(
      'forward 10.70.0.2 192.0.2.8\n',
    );
    expect(resolverRecordsText(table([lease(1)]), [])).toBeUndefined();
    expect(resolverRecordsText(table([]), [])).toBeUndefined();
  });

  it("forwards to the host's IPv4 servers, systemd-resolved's stub replaced by its upstream servers", () => {
    expect(
      resolverUpstreams({ host: 'nameserver 127.0.0.9\nnameserver ::1\nnameserver 10.0.0.2\n' }),
    ).toEqual(['127.0.0.9', '10.0.0.2']);
    expect(
      resolverUpstreams({
        host: 'nameserver 127.0.0.53\nsearch lan\n',
        resolvedUpstream: 'nameserver 192.0.2.1\nnameserver 192.0.2.2\n',
      }),
    ).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(resolverUpstreams({ host: '' })).toEqual(['8.8.8.8', '8.8.4.4']);
  });

  it('gives the container the gateway as its one name server, keeping search and options', () => {
    expect(resolverResolvConf('10.70.0.1', 'nameserver 192.0.2.1\nsearch lan\noptions ndots:2\n')).toBe(
      'nameserver 10.70.0.1\nsearch lan\noptions ndots:2\n',
    );
  });
});
