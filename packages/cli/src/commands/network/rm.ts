import { Command } from 'commander';
import { emitNetworkEvent } from '../../events/object-events.js';
import { NotFoundError } from '@koker/core';
import { contextOf, setExitCode } from '../../command-context.js';
import { userNetworksOf } from '../../networks/user-networks.js';
import { predefinedNetworks, refusePredefinedRemoval } from '../../networks/predefined-networks.js';

export function networkRmCommand(): Command {
  return new Command('rm')
    .description('Remove one or more networks')
    .argument('<networks...>', 'network names or IDs')
    .option('-f, --force', 'do not error if the network does not exist')
    .action(async (names: string[], flags: { force?: boolean }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('network rm');
      const networks = await userNetworksOf(context);
      const predefined = await predefinedNetworks(context);
      for (const name of names) {
        try {
          refusePredefinedRemoval(predefined, name);
          const network = await networks.find(name);
          await networks.remove(name);
          emitNetworkEvent(context, 'destroy', network);
          process.stdout.write(`${name}\n`);
        } catch (error) {
          if (flags.force && error instanceof NotFoundError) continue;
          process.stderr.write(`Error response from daemon: ${(error as Error).message}\n`);
          setExitCode(command, 1);
        }
      }
    });
}
