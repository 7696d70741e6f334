import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function killCommand(name = 'kill'): Command {
  return new Command(name)
    .description('Send a signal to running containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-s, --signal <signal>', 'signal to send', 'KILL')
    .action(notBuilt('kill'));
}
