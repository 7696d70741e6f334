import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

/** `koker rm` / `koker container rm`. */
export function rmCommand(name = 'rm'): Command {
  return new Command(name)
    .description('Remove one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-f, --force', 'kill a running container first')
    .option('-v, --volumes', 'remove anonymous volumes too')
    .action(notBuilt('rm'));
}
