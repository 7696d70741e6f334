import { Command } from 'commander';
import { imageInspectCommand } from './inspect.js';
import { loadCommand } from './load.js';
import { imageLsCommand } from './ls.js';
import { imagePruneCommand } from './prune.js';
import { pullCommand } from './pull.js';
import { imageRmCommand } from './rm.js';
import { saveCommand } from './save.js';

export {
  imageInspectCommand,
  imageLsCommand,
  imagePruneCommand,
  imageRmCommand,
  loadCommand,
  pullCommand,
  saveCommand,
};

/** `koker image|i ...` */
export function imageCommand(): Command {
  const group = new Command('image').alias('i').description('Manage images');
  group.addCommand(pullCommand());
  group.addCommand(imageLsCommand().alias('list'));
  group.addCommand(imageRmCommand().alias('remove'));
  group.addCommand(imageInspectCommand());
  group.addCommand(imagePruneCommand());
  group.addCommand(loadCommand());
  group.addCommand(saveCommand());
  return group;
}
