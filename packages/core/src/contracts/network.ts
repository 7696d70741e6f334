import { type ContainerId } from '../domain/container-id.js';
import { contractKey } from './contract-key.js';

/**
 * - `bridge` (default): a network namespace of its own, a veth pair to the bridge, an address.
 * - `none`: a network namespace of its own with only `lo` (up).
 * - `host`: the host's network namespace.
 */
export type NetworkMode = 'bridge' | 'none' | 'host';

export type PortProtocol = 'tcp' | 'udp';

export interface PortMapping {
  /** Host address the port is published on; `0.0.0.0` means every address of the host. */
  readonly hostIp: string;
  /** In a request, 0 asks the driver for a free port; in an attachment, the port it chose. */
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: PortProtocol;
}

export interface NetworkRequest {
  readonly mode: NetworkMode;
  readonly hostname: string;
  readonly name: string;
  readonly ports: readonly PortMapping[];
  /** Name servers for the container's resolv.conf (`--dns`); empty means the host's. */
  readonly dns: readonly string[];
}

export interface NetworkAttachment {
  readonly mode: NetworkMode;
  /**
   * The network namespace file the launcher joins (setns) before pivot_root: present for
   * `bridge`. For `none`, the driver's namespace with only `lo` (up), or absent: the launcher then
   * makes a fresh namespace and brings `lo` up. Absent for `host`.
   */
  readonly netnsPath?: string;
  readonly ipAddress?: string;
  /** Prefix length of `ipAddress` on the container's eth0 (e.g. 16). */
  readonly prefixLength?: number;
  readonly gateway?: string;
  /** The bridge eth0's peer is attached to (bridge mode). */
  readonly bridge?: string;
  /** The published ports, with every host port decided. */
  readonly ports: readonly PortMapping[];
  /** The whole contents of the container's /etc/resolv.conf. */
  readonly resolvConf: string;
  /** Every line of the container's /etc/hosts, in order (localhost lines, then its own address). */
  readonly hostsEntries: readonly string[];
}

/** Container networking: bridge + veth + NAT, or none, or the host's. */
export interface NetworkDriver {
  readonly name: string;
  attach(id: ContainerId, request: NetworkRequest): Promise<NetworkAttachment>;
  /** Removes everything `attach` made; missing pieces are not an error. */
  detach(id: ContainerId): Promise<void>;
  /** IDs holding network resources, for garbage collection after crashes. */
  list(): Promise<ContainerId[]>;
}

export const Network = contractKey<NetworkDriver>('network');
