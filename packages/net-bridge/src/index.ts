import {
  ConfigToken,
  LoggerToken,
  Network,
  SyscallsToken,
  type DriverCatalog,
  type KokerConfig,
  type Logger,
  type Syscalls,
} from '@koker/core';
import { BridgeNetworkDriver } from './driver.js';
import { probe } from './probe.js';

export {
  BridgeNetworkDriver,
  HOST_NETWORK_FILES,
  type BridgeDriverOptions,
  type HostNetworkFiles,
} from './driver.js';
export { probe } from './probe.js';
export { Iptables } from './iptables/iptables.js';
export { detectIptables, type IptablesTools, type IptablesVariant } from './iptables/iptables-tools.js';
export { parseSubnet, type Subnet } from './ipam/subnet.js';
export { NetnsFiles } from './netns/netns-files.js';
export { RtNetlink } from './netlink/rtnetlink.js';
export { vethNameCandidates } from './veth-names.js';

export function register(catalog: Pick<DriverCatalog, 'add'>): void {
  catalog.add({
    contract: Network,
    name: 'bridge',
    priority: 80,
    description: 'bridge + veth + iptables NAT (also --network none and host)',
    probe,
    create: (container) =>
      new BridgeNetworkDriver({
        config: container.resolve<KokerConfig>(ConfigToken),
        log: container.resolve<Logger>(LoggerToken),
        syscalls: container.resolve<Syscalls>(SyscallsToken),
      }),
  });
}
