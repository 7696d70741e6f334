import { Command, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import {
  containerCommand,
  execCommand,
  inspectCommand,
  killCommand,
  logsCommand,
  lsCommand,
  portCommand,
  rmCommand,
  runCommand,
  startCommand,
  statsCommand,
  stopCommand,
} from './commands/container/index.js';
import {
  imageCommand,
  imageLsCommand,
  imageRmCommand,
  loadCommand,
  pullCommand,
  saveCommand,
} from './commands/image/index.js';
import { infoCommand } from './commands/system/info.js';
import { loginCommand, logoutCommand } from './commands/system/login.js';
import { systemCommand } from './commands/system/prune.js';

export const VERSION: string = packageJson.version;

/** The whole command tree: the seed's groups, and Docker's shortcuts next to them. */
export function buildProgram(): Command {
  const program = new Command('koker')
    .description(
      'koker: containers from Linux primitives (namespaces, cgroups, overlayfs, veth, iptables), every step shown',
    )
    .version(`koker version ${VERSION}`, '-v, --version', 'print the version')
    .option('-D, --debug', 'log every step at the system-call level')
    .option('-q, --quiet', 'disable logging altogether')
    .option('--root <dir>', 'root directory of koker state (default /var/lib/koker, or $KOKER_ROOT)')
    .addOption(
      new Option('--log-format <format>', 'log format').choices(['console', 'json']).default('console'),
    )
    .option('--cgroup-driver <name>', 'force a resources driver (cgroup-v1, cgroup-v2, cgroup-hybrid)')
    .option('--storage-driver <name>', 'force a storage driver')
    .option('--network-driver <name>', 'force a network driver')
    .enablePositionalOptions();

  program.addCommand(containerCommand());
  program.addCommand(imageCommand());
  program.addCommand(infoCommand());
  program.addCommand(systemCommand());
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());

  // Docker's shortcuts: the same commands at the top level.
  program.addCommand(runCommand(), { hidden: false });
  program.addCommand(lsCommand('ps'));
  program.addCommand(execCommand());
  program.addCommand(rmCommand());
  program.addCommand(logsCommand());
  program.addCommand(stopCommand());
  program.addCommand(killCommand());
  program.addCommand(startCommand());
  program.addCommand(inspectCommand());
  program.addCommand(portCommand());
  program.addCommand(statsCommand());
  program.addCommand(imageLsCommand('images'));
  program.addCommand(pullCommand());
  program.addCommand(imageRmCommand('rmi'));
  program.addCommand(loadCommand());
  program.addCommand(saveCommand());
  return program;
}
