import { Command, Option } from 'commander';
import { containerCommands } from './commands/container/index.js';
import { imageCommands } from './commands/image/index.js';
import { networkCommands } from './commands/network/index.js';
import { volumeCommands } from './commands/volume/index.js';
import { addCommands, LazyGroup, type LazyCommand } from './lazy-command.js';
import { VERSION } from './version.js';

export { VERSION };

const command = <M>(load: () => Promise<M>, build: (module: M) => Command): (() => Promise<Command>) => {
  return async () => build(await load());
};

/** The top level: the Go koker's groups, and Docker's shortcuts next to them. */
const TOP_LEVEL: readonly LazyCommand[] = [
  {
    names: ['container', 'c'],
    load: async () =>
      new LazyGroup('container', containerCommands)
        .alias('c')
        .description('Manage containers')
        .enablePositionalOptions(),
  },
  {
    names: ['image', 'i'],
    load: async () => new LazyGroup('image', imageCommands).alias('i').description('Manage images'),
  },
  {
    names: ['network'],
    load: async () => new LazyGroup('network', networkCommands).description('Manage networks'),
  },
  {
    names: ['volume'],
    load: async () => new LazyGroup('volume', volumeCommands).description('Manage volumes'),
  },
  {
    names: ['info'],
    load: command(
      () => import('./commands/system/info.js'),
      (m) => m.infoCommand(),
    ),
  },
  {
    names: ['system'],
    load: command(
      () => import('./commands/system/prune.js'),
      (m) => m.systemCommand(),
    ),
  },
  {
    names: ['login'],
    load: command(
      () => import('./commands/system/login.js'),
      (m) => m.loginCommand(),
    ),
  },
  {
    names: ['logout'],
    load: command(
      () => import('./commands/system/login.js'),
      (m) => m.logoutCommand(),
    ),
  },
  {
    names: ['run'],
    load: command(
      () => import('./commands/container/run.js'),
      (m) => m.runCommand(),
    ),
  },
  {
    names: ['ps'],
    load: command(
      () => import('./commands/container/ls.js'),
      (m) => m.lsCommand('ps'),
    ),
  },
  {
    names: ['exec'],
    load: command(
      () => import('./commands/container/exec.js'),
      (m) => m.execCommand(),
    ),
  },
  {
    names: ['rm'],
    load: command(
      () => import('./commands/container/rm.js'),
      (m) => m.rmCommand(),
    ),
  },
  {
    names: ['logs'],
    load: command(
      () => import('./commands/container/logs.js'),
      (m) => m.logsCommand(),
    ),
  },
  {
    names: ['stop'],
    load: command(
      () => import('./commands/container/stop.js'),
      (m) => m.stopCommand(),
    ),
  },
  {
    names: ['kill'],
    load: command(
      () => import('./commands/container/kill.js'),
      (m) => m.killCommand(),
    ),
  },
  {
    names: ['attach'],
    load: command(
      () => import('./commands/container/attach.js'),
      (m) => m.attachCommand(),
    ),
  },
  {
    names: ['start'],
    load: command(
      () => import('./commands/container/start.js'),
      (m) => m.startCommand(),
    ),
  },
  {
    names: ['inspect'],
    load: command(
      () => import('./inspect/inspect-objects.js'),
      (m) => m.inspectCommand(),
    ),
  },
  {
    names: ['port'],
    load: command(
      () => import('./commands/container/port.js'),
      (m) => m.portCommand(),
    ),
  },
  {
    names: ['stats'],
    load: command(
      () => import('./commands/container/stats.js'),
      (m) => m.statsCommand(),
    ),
  },
  {
    names: ['cp'],
    load: command(
      () => import('./commands/container/cp.js'),
      (m) => m.cpCommand(),
    ),
  },
  {
    names: ['diff'],
    load: command(
      () => import('./commands/container/diff.js'),
      (m) => m.diffCommand(),
    ),
  },
  {
    names: ['export'],
    load: command(
      () => import('./commands/container/export.js'),
      (m) => m.exportCommand(),
    ),
  },
  {
    names: ['images'],
    load: command(
      () => import('./commands/image/ls.js'),
      (m) => m.imageLsCommand('images'),
    ),
  },
  {
    names: ['pull'],
    load: command(
      () => import('./commands/image/pull.js'),
      (m) => m.pullCommand(),
    ),
  },
  {
    names: ['rmi'],
    load: command(
      () => import('./commands/image/rm.js'),
      (m) => m.imageRmCommand('rmi'),
    ),
  },
  {
    names: ['load'],
    load: command(
      () => import('./commands/image/load.js'),
      (m) => m.loadCommand(),
    ),
  },
  {
    names: ['save'],
    load: command(
      () => import('./commands/image/save.js'),
      (m) => m.saveCommand(),
    ),
  },
  {
    names: ['wait'],
    load: command(
      () => import('./commands/container/wait.js'),
      (m) => m.waitCommand(),
    ),
  },
  {
    names: ['restart'],
    load: command(
      () => import('./commands/container/restart.js'),
      (m) => m.restartCommand(),
    ),
  },
  {
    names: ['pause'],
    load: command(
      () => import('./commands/container/pause.js'),
      (m) => m.pauseCommand(),
    ),
  },
  {
    names: ['unpause'],
    load: command(
      () => import('./commands/container/pause.js'),
      (m) => m.unpauseCommand(),
    ),
  },
  {
    names: ['top'],
    load: command(
      () => import('./commands/container/top.js'),
      (m) => m.topCommand(),
    ),
  },
  {
    names: ['rename'],
    load: command(
      () => import('./commands/container/rename.js'),
      (m) => m.renameCommand(),
    ),
  },
  {
    names: ['update'],
    load: command(
      () => import('./commands/container/update.js'),
      (m) => m.updateCommand(),
    ),
  },
  {
    names: ['tag'],
    load: command(
      () => import('./commands/image/tag.js'),
      (m) => m.tagCommand(),
    ),
  },
  {
    names: ['push'],
    load: command(
      () => import('./commands/image/push.js'),
      (m) => m.pushCommand(),
    ),
  },
  {
    names: ['import'],
    load: command(
      () => import('./commands/image/import.js'),
      (m) => m.importCommand(),
    ),
  },
  {
    names: ['history'],
    load: command(
      () => import('./commands/image/history.js'),
      (m) => m.historyCommand(),
    ),
  },
  {
    names: ['events'],
    load: command(
      () => import('./commands/system/events.js'),
      (m) => m.eventsCommand(),
    ),
  },
  {
    names: ['version'],
    load: command(
      () => import('./commands/system/version.js'),
      (m) => m.versionCommand(),
    ),
  },
  {
    names: ['completion'],
    load: command(
      () => import('./commands/system/completion.js'),
      (m) => m.completionCommand(() => buildProgram([])),
    ),
  },
];

/**
 * The command tree for `argv`: the root with its global options, and the command `argv` names
 * (only its module is loaded), or every command when it names none (help, or a typo).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
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

  await addCommands(program, TOP_LEVEL, argv, {
    // `koker --version` needs no command at all.
    none: argv.includes('-v') || argv.includes('--version'),
  });
  return program;
}
