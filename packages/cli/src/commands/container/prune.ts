import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function pruneCommand(name = 'prune'): Command {
  return new Command(name)
    .description('Remove all stopped containers')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(notBuilt('container prune'));
}
