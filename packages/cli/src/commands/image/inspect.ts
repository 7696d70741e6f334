import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function imageInspectCommand(name = 'inspect'): Command {
  return new Command(name)
    .description('Show low-level information on images, as JSON')
    .argument('<images...>', 'tags, image IDs or digests')
    .action(notBuilt('image inspect'));
}
