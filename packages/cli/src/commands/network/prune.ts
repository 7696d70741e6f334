import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { emitNetworkEvent } from '../../events/object-events.js';
import { ConflictError } from '@koker/core';
import { collect, contextOf } from '../../command-context.js';
import { networkMatches, userNetworksOf } from '../../networks/user-networks.js';
import { listedUserNetwork } from '../../networks/predefined-networks.js';

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } catch {
    return false;
  } finally {
    prompt.close();
  }
}

export function networkPruneCommand(): Command {
  return new Command('prune')
    .description('Remove all unused networks')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'only networks matching (label=, name=, id=, driver=)', collect)
    .action(async (flags: { force?: boolean; filter?: string[] }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('network prune');
      if (
        !flags.force &&
        !(await confirm(
          'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ',
        ))
      )
        return;
      const networks = await userNetworksOf(context);
      const removed: string[] = [];
      for (const network of await networks.list()) {
        if (!networkMatches(listedUserNetwork(network), flags.filter ?? [])) continue;
        if (network.containers.length > 0) continue;
        try {
          await networks.remove(network.id);
          emitNetworkEvent(context, 'destroy', network);
          removed.push(network.name);
        } catch (error) {
          // In use by another koker root's container, or one that attached meanwhile: kept.
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      if (removed.length > 0)
        process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
    });
}
