import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function statsCommand(name = 'stats'): Command {
  return new Command(name)
    .description('Show resource usage of containers')
    .argument('[containers...]', 'container IDs, ID prefixes or names (default: all running)')
    .option('--no-stream', 'print one sample and exit')
    .action(notBuilt('stats'));
}
