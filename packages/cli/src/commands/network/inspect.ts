import { Command } from 'commander';
import { contextOf, setExitCode } from '../../command-context.js';
import { userNetworksOf } from '../../networks/user-networks.js';
import { macAddress } from '../../networks/container-networks.js';
import {
  findPredefined,
  listedUserNetwork,
  predefinedNetworks,
  type ListedNetwork,
} from '../../networks/predefined-networks.js';
import { type CliContext } from '../../context.js';

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

export function networkInspectCommand(): Command {
  return new Command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<networks...>', 'network names or IDs')
    .action(async (names: string[], _flags: unknown, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('network inspect');
      const networks = await userNetworksOf(context);
      const predefined = await predefinedNetworks(context);
      const found: Record<string, unknown>[] = [];
      for (const name of names) {
        try {
          const network = findPredefined(predefined, name) ?? listedUserNetwork(await networks.find(name));
          found.push(await networkDocument(context, network));
        } catch (error) {
          process.stderr.write(`Error: ${(error as Error).message}\n`);
          setExitCode(command, 1);
        }
      }
      process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
    });
}
