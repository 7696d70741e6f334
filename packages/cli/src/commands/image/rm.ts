import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

/** `koker rmi` / `koker image rm`. */
export function imageRmCommand(name = 'rm'): Command {
  return new Command(name)
    .description('Remove images (untag, then delete when no tag is left)')
    .argument('<images...>', 'tags, image IDs (or prefixes) or digests')
    .option('-f, --force', 'remove even if a container uses it')
    .action(notBuilt('image rm'));
}
