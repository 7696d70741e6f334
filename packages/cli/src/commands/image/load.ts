import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function loadCommand(name = 'load'): Command {
  return new Command(name)
    .description('Load images from a docker-save or OCI layout archive')
    .option('-i, --input <file>', 'read from a tar archive file instead of stdin')
    .option('-q, --quiet', 'suppress the load output')
    .action(notBuilt('image load'));
}
