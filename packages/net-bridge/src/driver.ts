import {
  NotImplementedError,
  type ContainerId,
  type NetworkAttachment,
  type NetworkDriver,
  type NetworkRequest,
} from '@koker/core';

/** A bridge with veth pairs, IPAM, iptables NAT and port publishing; also `none` and `host`. */
export class BridgeNetworkDriver implements NetworkDriver {
  readonly name = 'bridge';

  async attach(_id: ContainerId, request: NetworkRequest): Promise<NetworkAttachment> {
    throw new NotImplementedError(`--network ${request.mode}`);
  }

  async detach(_id: ContainerId): Promise<void> {}

  async list(): Promise<ContainerId[]> {
    return [];
  }
}
