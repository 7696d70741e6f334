import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from '../src/ipam/ipv4.js';
import { parseSubnet, rangesOverlap } from '../src/ipam/subnet.js';

describe('parseSubnet', () => {
  it("gives the default subnet's gateway, first and last container addresses", () => {
    const subnet = parseSubnet('10.69.0.0/16');
    expect(subnet.cidr).toBe('10.69.0.0/16');
    expect(formatIpv4(subnet.gateway)).toBe('10.69.0.1');
    expect(formatIpv4(subnet.first)).toBe('10.69.0.2');
    expect(formatIpv4(subnet.last)).toBe('10.69.255.254');
    expect(formatIpv4(subnet.broadcast)).toBe('10.69.255.255');
  });

  it.each([
    ['172.69.0.0/16', 'not inside a private range'],
    ['8.8.8.0/24', 'not inside a private range'],
    ['10.69.0.1/16', 'host bits are set'],
    ['10.0.0.0/7', 'between 8 and 30'],
    ['10.0.0.0/31', 'between 8 and 30'],
    ['10.0.0.0', 'CIDR notation'],
    ['10.0.0.256/24', 'four decimal octets'],
  ])('rejects %s (%s)', (input, reason) => {
    expect(() => parseSubnet(input)).toThrow(reason);
  });

  it('accepts every private range', () => {
    for (const cidr of [
      '192.168.5.0/24',
      '172.16.0.0/12',
      '172.31.200.0/24',
      '100.64.1.0/24',
      '10.255.255.252/30',
    ])
      expect(parseSubnet(cidr).cidr).toBe(cidr);
  });

  it('detects overlapping ranges', () => {
    const a = { network: parseIpv4('10.69.0.0'), prefixLength: 16 };
    expect(rangesOverlap(a, { network: parseIpv4('10.69.4.0'), prefixLength: 24 })).toBe(true);
    expect(rangesOverlap(a, { network: parseIpv4('10.0.0.0'), prefixLength: 8 })).toBe(true);
    expect(rangesOverlap(a, { network: parseIpv4('10.70.0.0'), prefixLength: 16 })).toBe(false);
  });
});
