import { Command } from 'commander';
import { notBuilt } from '../../not-built.js';

export function logsCommand(name = 'logs'): Command {
  return new Command(name)
    .description("Show a container's output")
    .argument('<container>', 'container ID, ID prefix or name')
    .option('-f, --follow', 'follow the output')
    .option('-n, --tail <n>', 'number of lines from the end', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .action(notBuilt('logs'));
}
