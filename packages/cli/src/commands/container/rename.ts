import { Command } from 'commander';
import { contextOf } from '../../command-context.js';
import { renameContainer } from '../../containers/rename-container.js';

/** `koker rename CONTAINER NEW_NAME`: running or not, as Docker. */
export function renameCommand(name = 'rename'): Command {
  return new Command(name)
    .description('Rename a container')
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('<new-name>', 'its new name')
    .action(async (container: string, newName: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('rename');
      await renameContainer(ctx, container, newName);
    });
}
