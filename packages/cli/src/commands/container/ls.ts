import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

/** `koker ps` / `koker container ls`. */
export function lsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', 'do not truncate output')
    .option('--format <format>', 'table (default) or json')
    .action(notBuilt('container ls'));
}
