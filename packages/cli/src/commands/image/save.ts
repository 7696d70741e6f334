import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function saveCommand(name = 'save'): Command {
  return new Command(name)
    .description('Save images to a docker-save tar archive')
    .argument('<images...>', 'images to save')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(notBuilt('image save'));
}
