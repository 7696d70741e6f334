import { describe, expect, it } from 'vitest';
import { type ContainerId } from '@koker/core';
import {
  claimsOverlap,
  emptyLeaseTable,
  nextFreeAddress,
  parseLeaseTable,
  portHolder,
  withLease,
  withoutLeases,
  type Lease,
  type LeaseTable,
} from '../src/ipam/lease-table.js';
import { parseSubnet } from '../src/ipam/subnet.js';

const owner = { pid: 1, start: 1, boot: 'b' };
const id = (n: number) => n.toString(16).padStart(64, 'a') as ContainerId;
const lease = (n: number, ip: string, ports: Lease['ports'] = []): Lease => ({
  id: id(n),
  ip,
  ports,
  netns: `/run/netns/${n}`,
  owner,
});

describe('IPAM lease table', () => {
  it('never hands out the network, gateway or broadcast address, and no address twice', () => {
    const subnet = parseSubnet('10.1.2.0/29'); // .0 network, .1 gateway, .2-.6 containers, .7 broadcast
    let table: LeaseTable = emptyLeaseTable(subnet);
    const given: string[] = [];
    for (let n = 0; n < 5; n++) {
      const ip = nextFreeAddress(table, subnet);
      given.push(ip);
      table = withLease(table, lease(n, ip), subnet);
    }
    expect(given).toEqual(['10.1.2.2', '10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6']);
    expect(() => nextFreeAddress(table, subnet)).toThrow('no free address left in 10.1.2.0/29');
  });

  it('moves on after a released address instead of reusing it at once, then wraps around', () => {
    const subnet = parseSubnet('10.1.2.0/29');
    let table = withLease(emptyLeaseTable(subnet), lease(1, '10.1.2.2'), subnet);
    table = withLease(table, lease(2, '10.1.2.3'), subnet);
    table = withoutLeases(table, new Set([id(1)]));
    expect(nextFreeAddress(table, subnet)).toBe('10.1.2.4');
    table = withLease(table, lease(3, '10.1.2.6'), subnet); // the cursor wraps past the last address
    expect(nextFreeAddress(table, subnet)).toBe('10.1.2.2');
  });

  it('finds which container holds a host port, 0.0.0.0 overlapping every address', () => {
    const subnet = parseSubnet('10.1.2.0/24');
    const table = withLease(
      emptyLeaseTable(subnet),
      lease(1, '10.1.2.2', [{ hostIp: '0.0.0.0', hostPort: 8080, protocol: 'tcp' }]),
      subnet,
    );
    expect(portHolder(table, { hostIp: '127.0.0.1', hostPort: 8080, protocol: 'tcp' })?.id).toBe(id(1));
    expect(portHolder(table, { hostIp: '127.0.0.1', hostPort: 8080, protocol: 'udp' })).toBeUndefined();
    expect(
      claimsOverlap(
        { hostIp: '127.0.0.1', hostPort: 1, protocol: 'tcp' },
        { hostIp: '127.0.0.2', hostPort: 1, protocol: 'tcp' },
      ),
    ).toBe(false);
  });

  it('round-trips through JSON and rejects a corrupt file with the reason', () => {
    const subnet = parseSubnet('10.1.2.0/24');
    const table = withLease(emptyLeaseTable(subnet), lease(1, '10.1.2.2'), subnet);
    expect(parseLeaseTable(JSON.stringify(table), 'leases.json')).toEqual(table);
    expect(() => parseLeaseTable('{', 'leases.json')).toThrow('the lease file leases.json is corrupt');
    expect(() =>
      parseLeaseTable(JSON.stringify({ ...table, leases: [{ ...table.leases[0], ip: '10.1.2' }] }), 'l'),
    ).toThrow('four decimal octets');
  });

  it("keeps the owner's run root (the table is shared by every koker root) and checks its type", () => {
    const subnet = parseSubnet('10.1.2.0/24');
    const owned = { ...lease(1, '10.1.2.2'), runRoot: '/tmp/a/run' };
    const table = withLease(emptyLeaseTable(subnet), owned, subnet);
    expect(parseLeaseTable(JSON.stringify(table), 'l').leases[0]?.runRoot).toBe('/tmp/a/run');
    expect(() =>
      parseLeaseTable(JSON.stringify({ ...table, leases: [{ ...owned, runRoot: 7 }] }), 'l'),
    ).toThrow('is incomplete');
  });
});
