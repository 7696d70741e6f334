import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

/** `koker images` / `koker image ls`. */
export function imageLsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List images')
    .option('-q, --quiet', 'only show image IDs')
    .option('--no-trunc', 'do not truncate output')
    .option('--format <format>', 'table (default) or json')
    .action(notBuilt('image ls'));
}
