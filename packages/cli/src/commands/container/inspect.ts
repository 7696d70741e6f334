import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function inspectCommand(name = 'inspect'): Command {
  return new Command(name)
    .description('Show low-level information on containers, as JSON')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .action(notBuilt('container inspect'));
}
