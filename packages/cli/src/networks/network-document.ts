import { type CliContext } from '../context.js';
import { macAddress } from './container-networks.js';
import { type ListedNetwork } from './predefined-networks.js';

/** Docker's `network inspect` document. */
export async function networkDocument(
  context: CliContext,
  network: ListedNetwork,
): Promise<Record<string, unknown>> {
  const prefix = network.subnet?.split('/')[1] ?? '32';
  const containers: Record<string, unknown> = {};
  for (const { id, ipAddress, macAddress: mac, aliases } of network.containers) {
    const record = await context.state.get(id).catch(() => undefined);
    containers[id] = {
      Name: record?.name ?? '',
      EndpointID: '',
      MacAddress: mac ?? (record ? await macAddress(record) : ''),
      IPv4Address: `${ipAddress}/${prefix}`,
      IPv6Address: '',
      ...(aliases !== undefined ? { Aliases: aliases } : {}),
    };
  }
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config:
        network.subnet === undefined
          ? []
          : [
              {
                Subnet: network.subnet,
                Gateway: network.gateway ?? '',
                ...(network.ipRange !== undefined ? { IPRange: network.ipRange } : {}),
              },
            ],
    },
    Internal: network.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: network.options,
    Labels: network.labels,
  };
}
