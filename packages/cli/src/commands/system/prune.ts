import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

/** `koker system prune`: what crashes left behind, stopped containers, dangling images. */
export function systemCommand(): Command {
  const group = new Command('system').description('Manage koker itself');
  group.addCommand(
    new Command('prune')
      .description('Remove stopped containers, leftovers of crashed runs, and dangling images')
      .option('-a, --all', 'remove all unused images too')
      .option('-f, --force', 'do not prompt for confirmation')
      .action(notBuilt('system prune')),
  );
  return group;
}
