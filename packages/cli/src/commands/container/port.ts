import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function portCommand(name = 'port'): Command {
  return new Command(name)
    .description("List a container's published ports")
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('[port]', 'container port, e.g. 80/tcp')
    .action(notBuilt('port'));
}
