import { type LazyCommand } from '../../lazy-command.js';

/** `koker network ...`: each subcommand's module is loaded only when used. */
export const networkCommands: readonly LazyCommand[] = [
  { names: ['create'], load: async () => (await import('./create.js')).networkCreateCommand() },
  { names: ['ls', 'list'], load: async () => (await import('./ls.js')).networkLsCommand().alias('list') },
  { names: ['inspect'], load: async () => (await import('./inspect.js')).networkInspectCommand() },
  { names: ['rm', 'remove'], load: async () => (await import('./rm.js')).networkRmCommand().alias('remove') },
  { names: ['prune'], load: async () => (await import('./prune.js')).networkPruneCommand() },
  { names: ['connect'], load: async () => (await import('./connect.js')).networkConnectCommand() },
  { names: ['disconnect'], load: async () => (await import('./connect.js')).networkDisconnectCommand() },
];
