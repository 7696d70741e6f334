import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function startCommand(name = 'start'): Command {
  return new Command(name)
    .description('Start stopped containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-a, --attach', "attach to the container's output")
    .option('-i, --interactive', "attach the container's stdin")
    .action(notBuilt('start'));
}
