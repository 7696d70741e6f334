import { ConflictError } from '@koker/core';
import { formatIpv4, parseIpv4 } from '../ipam/ipv4.js';
import { parseSubnet, rangesOverlap, type Subnet } from '../ipam/subnet.js';

/** Where user networks' subnets come from when `--subnet` is not given: 512 /24s. */
export const USER_NETWORK_POOL = { base: '10.70.0.0', prefixLength: 15, size: 24 } as const;

export interface UsedRange {
  readonly network: number;
  readonly prefixLength: number;
  /** What holds it, for the error message. */
  readonly what: string;
}

/** The range among `used` that `subnet` overlaps, if any. */
export function overlapping(subnet: Subnet, used: readonly UsedRange[]): UsedRange | undefined {
  return used.find((range) => rangesOverlap(range, subnet));
}

/** The first /24 of the pool that overlaps nothing in `used` (host routes, other networks). */
export function freePoolSubnet(used: readonly UsedRange[]): Subnet {
  const base = parseIpv4(USER_NETWORK_POOL.base);
  const count = 2 ** (USER_NETWORK_POOL.size - USER_NETWORK_POOL.prefixLength);
  const step = 2 ** (32 - USER_NETWORK_POOL.size);
  for (let i = 0; i < count; i++) {
    const subnet = parseSubnet(`${formatIpv4(base + i * step)}/${USER_NETWORK_POOL.size}`);
    if (!overlapping(subnet, used)) return subnet;
  }
  throw new ConflictError(
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
    {
      hint: 'remove unused networks (koker network prune), or give --subnet',
    },
  );
}
