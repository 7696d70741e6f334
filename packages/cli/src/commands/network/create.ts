import { Command } from 'commander';
import { emitNetworkEvent } from '../../events/object-events.js';
import { InvalidValueError, Network } from '@koker/core';
import { collect, contextOf } from '../../command-context.js';
import { userNetworksOf } from '../../networks/user-networks.js';

interface CreateFlags {
  readonly driver: string;
  readonly subnet?: string[];
  readonly gateway?: string[];
  readonly ipRange?: string[];
  readonly internal?: boolean;
  readonly label?: string[];
  readonly opt?: string[];
}

/** `KEY=VALUE` pairs (`--label`, `--opt`); a label may be a bare key. */
function pairs(values: readonly string[], what: string, bareAllowed: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq === 0 || (eq === -1 && !bareAllowed))
      throw new InvalidValueError(what, value, 'expected KEY=VALUE');
    if (eq === -1) result[value] = '';
    else result[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return result;
}

/** One value at most: koker networks are IPv4 with one subnet. */
function single(values: readonly string[] | undefined, flag: string): string | undefined {
  if (values && values.length > 1)
    throw new InvalidValueError(flag, values.join(' '), 'koker networks have one IPv4 subnet');
  return values?.[0];
}

export function networkCreateCommand(): Command {
  return new Command('create')
    .description('Create a network')
    .argument('<name>', 'network name')
    .option('-d, --driver <driver>', 'driver to manage the network', 'bridge')
    .option('--subnet <cidr>', 'subnet in CIDR format, e.g. 10.70.5.0/24', collect)
    .option('--gateway <ip>', 'IPv4 gateway of the subnet', collect)
    .option('--ip-range <cidr>', 'allocate container addresses from a sub-range', collect)
    .option('--internal', 'restrict external access to the network')
    .option('--label <label>', 'set metadata on the network', collect)
    .option('-o, --opt <option>', 'driver options (com.docker.network.bridge.name=NAME)', collect)
    .action(async (name: string, flags: CreateFlags, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('network create');
      const networks = await userNetworksOf(context);
      const driverName = (await context.driver(Network)).name;
      if (flags.driver !== driverName)
        throw new InvalidValueError(
          'network driver',
          flags.driver,
          `the network driver in use is ${driverName}`,
        );
      const subnet = single(flags.subnet, '--subnet');
      const gateway = single(flags.gateway, '--gateway');
      const ipRange = single(flags.ipRange, '--ip-range');
      const network = await networks.create({
        name,
        ...(subnet !== undefined ? { subnet } : {}),
        ...(gateway !== undefined ? { gateway } : {}),
        ...(ipRange !== undefined ? { ipRange } : {}),
        internal: flags.internal === true,
        labels: pairs(flags.label ?? [], 'label', true),
        options: pairs(flags.opt ?? [], 'driver option', false),
      });
      emitNetworkEvent(context, 'create', { id: network.id, name: network.name, driver: network.driver });
      process.stdout.write(`${network.id}\n`);
    });
}
