import { type ContainerId } from '../domain/container-id.js';
import { contractKey } from './contract-key.js';

export type NetworkMode = 'bridge' | 'none' | 'host';

export interface PortMapping {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface NetworkRequest {
  readonly mode: NetworkMode;
  readonly hostname: string;
  readonly name: string;
  readonly ports: readonly PortMapping[];
  readonly dns: readonly string[];
}

export interface NetworkAttachment {
  readonly mode: NetworkMode;
  /** The network namespace file to join; absent in host mode. For none: a new namespace with lo. */
  readonly netnsPath?: string;
  readonly ipAddress?: string;
  readonly gateway?: string;
  readonly ports: readonly PortMapping[];
  /** Contents for the container's /etc/resolv.conf and the address lines of /etc/hosts. */
  readonly resolvConf: string;
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
