import { type LazyCommand } from '../../lazy-command.js';

/** `koker volume ...`: each subcommand's module is loaded only when used. */
export const volumeCommands: readonly LazyCommand[] = [
  { names: ['create'], load: async () => (await import('./create.js')).volumeCreateCommand() },
  { names: ['ls', 'list'], load: async () => (await import('./ls.js')).volumeLsCommand().alias('list') },
  { names: ['inspect'], load: async () => (await import('./inspect.js')).volumeInspectCommand() },
  { names: ['rm', 'remove'], load: async () => (await import('./rm.js')).volumeRmCommand().alias('remove') },
  { names: ['prune'], load: async () => (await import('./prune.js')).volumePruneCommand() },
];
