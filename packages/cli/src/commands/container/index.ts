import { Command } from 'commander';
import { cleanupCommand } from './cleanup.js';
import { execCommand } from './exec.js';
import { inspectCommand } from './inspect.js';
import { killCommand } from './kill.js';
import { logsCommand } from './logs.js';
import { lsCommand } from './ls.js';
import { portCommand } from './port.js';
import { pruneCommand } from './prune.js';
import { rmCommand } from './rm.js';
import { runCommand } from './run.js';
import { startCommand } from './start.js';
import { statsCommand } from './stats.js';
import { stopCommand } from './stop.js';

export {
  execCommand,
  inspectCommand,
  killCommand,
  logsCommand,
  lsCommand,
  portCommand,
  pruneCommand,
  rmCommand,
  runCommand,
  startCommand,
  statsCommand,
  stopCommand,
};

/** `koker container|c ...` */
export function containerCommand(): Command {
  const group = new Command('container')
    .alias('c')
    .description('Manage containers')
    .enablePositionalOptions();
  group.addCommand(runCommand());
  group.addCommand(lsCommand().alias('ps').alias('list'));
  group.addCommand(execCommand());
  group.addCommand(rmCommand());
  group.addCommand(logsCommand());
  group.addCommand(stopCommand());
  group.addCommand(killCommand());
  group.addCommand(startCommand());
  group.addCommand(inspectCommand());
  group.addCommand(pruneCommand());
  group.addCommand(portCommand());
  group.addCommand(statsCommand());
  group.addCommand(cleanupCommand(), { hidden: true });
  return group;
}
