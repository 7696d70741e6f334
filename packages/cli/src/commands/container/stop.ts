import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function stopCommand(name = 'stop'): Command {
  return new Command(name)
    .description('Stop running containers (SIGTERM, then SIGKILL)')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-t, --time <seconds>', 'seconds to wait before killing', '10')
    .action(notBuilt('stop'));
}
