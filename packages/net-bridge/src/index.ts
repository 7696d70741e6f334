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
export { HOST_BRIDGES_DIR } from './state/network-state.js';
export { RtNetlink } from './netlink/rtnetlink.js';
export { vethNameCandidates } from './veth-names.js';

export { register } from './register.js';
