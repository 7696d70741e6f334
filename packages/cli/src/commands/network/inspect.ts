import { Command } from 'commander';
import { contextOf, setExitCode } from '../../command-context.js';
import { userNetworksOf } from '../../networks/user-networks.js';
import { networkDocument } from '../../networks/network-document.js';
import { findPredefined, listedUserNetwork, predefinedNetworks } from '../../networks/predefined-networks.js';

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
