import { type LazyCommand } from '../../lazy-command.js';

/** `koker container|c ...`: each subcommand's module is loaded only when used. */
export const containerCommands: readonly LazyCommand[] = [
  { names: ['run'], load: async () => (await import('./run.js')).runCommand() },
  { names: ['create'], load: async () => (await import('./create.js')).createCommand() },
  {
    names: ['ls', 'ps', 'list'],
    load: async () => (await import('./ls.js')).lsCommand().alias('ps').alias('list'),
  },
  { names: ['exec'], load: async () => (await import('./exec.js')).execCommand() },
  { names: ['rm'], load: async () => (await import('./rm.js')).rmCommand() },
  { names: ['logs'], load: async () => (await import('./logs.js')).logsCommand() },
  { names: ['stop'], load: async () => (await import('./stop.js')).stopCommand() },
  { names: ['kill'], load: async () => (await import('./kill.js')).killCommand() },
  { names: ['attach'], load: async () => (await import('./attach.js')).attachCommand() },
  { names: ['start'], load: async () => (await import('./start.js')).startCommand() },
  { names: ['inspect'], load: async () => (await import('./inspect.js')).inspectCommand() },
  { names: ['prune'], load: async () => (await import('./prune.js')).pruneCommand() },
  { names: ['port'], load: async () => (await import('./port.js')).portCommand() },
  { names: ['cp'], load: async () => (await import('./cp.js')).cpCommand() },
  { names: ['diff'], load: async () => (await import('./diff.js')).diffCommand() },
  { names: ['commit'], load: async () => (await import('./commit.js')).commitCommand() },
  { names: ['export'], load: async () => (await import('./export.js')).exportCommand() },
  { names: ['stats'], load: async () => (await import('./stats.js')).statsCommand() },
  { names: ['wait'], load: async () => (await import('./wait.js')).waitCommand() },
  { names: ['restart'], load: async () => (await import('./restart.js')).restartCommand() },
  { names: ['pause'], load: async () => (await import('./pause.js')).pauseCommand() },
  { names: ['unpause'], load: async () => (await import('./pause.js')).unpauseCommand() },
  { names: ['top'], load: async () => (await import('./top.js')).topCommand() },
  { names: ['rename'], load: async () => (await import('./rename.js')).renameCommand() },
  { names: ['update'], load: async () => (await import('./update.js')).updateCommand() },
  { names: ['cleanup'], hidden: true, load: async () => (await import('./cleanup.js')).cleanupCommand() },
  {
    names: ['healthcheck'],
    hidden: true,
    load: async () => (await import('./healthcheck.js')).healthcheckCommand(),
  },
];
