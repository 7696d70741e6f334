import { type LazyCommand } from '../../lazy-command.js';

/** `koker image|i ...`: each subcommand's module is loaded only when used. */
export const imageCommands: readonly LazyCommand[] = [
  { names: ['pull'], load: async () => (await import('./pull.js')).pullCommand() },
  { names: ['ls', 'list'], load: async () => (await import('./ls.js')).imageLsCommand().alias('list') },
  { names: ['rm', 'remove'], load: async () => (await import('./rm.js')).imageRmCommand().alias('remove') },
  { names: ['inspect'], load: async () => (await import('./inspect.js')).imageInspectCommand() },
  { names: ['prune'], load: async () => (await import('./prune.js')).imagePruneCommand() },
  { names: ['load'], load: async () => (await import('./load.js')).loadCommand() },
  { names: ['tag'], load: async () => (await import('./tag.js')).tagCommand() },
  { names: ['history'], load: async () => (await import('./history.js')).historyCommand() },
  { names: ['save'], load: async () => (await import('./save.js')).saveCommand() },
  { names: ['push'], load: async () => (await import('./push.js')).pushCommand() },
  { names: ['import'], load: async () => (await import('./import.js')).importCommand() },
];
