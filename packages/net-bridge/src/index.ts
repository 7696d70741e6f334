import { Network, type DriverCatalog } from '@koker/core';
import { BridgeNetworkDriver } from './driver.js';
import { probe } from './probe.js';

export { BridgeNetworkDriver } from './driver.js';
export { probe } from './probe.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Network,
    name: 'bridge',
    priority: 80,
    description: 'bridge + veth + iptables NAT (also --network none and host)',
    probe,
    create: () => new BridgeNetworkDriver(),
  });
}
