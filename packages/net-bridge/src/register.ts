import { Network, type DriverCatalog } from '@koker/core';
import { probe } from './probe.js';

/**
 * The bridge driver, as discovery sees it: its probe, and a factory that imports the driver's
 * code (netlink, iptables, IPAM) only once chosen: `@koker/net-bridge/register` loads none of it.
 */
export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Network,
    name: 'bridge',
    priority: 80,
    description: 'bridge + veth + iptables NAT (also --network none and host)',
    probe,
    create: async (context) => new (await import('./driver.js')).BridgeNetworkDriver(context),
  });
}
