import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function imagePruneCommand(name = 'prune'): Command {
  return new Command(name)
    .description('Remove unused images')
    .option('-a, --all', 'remove all images no container uses, not just untagged ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(notBuilt('image prune'));
}
