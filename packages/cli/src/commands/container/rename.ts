import { Command } from 'commander';
import { InvalidValueError, parseContainerName } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';

/** `koker rename CONTAINER NEW_NAME`: running or not, as Docker. */
export function renameCommand(name = 'rename'): Command {
  return new Command(name)
    .description('Rename a container')
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('<new-name>', 'its new name')
    .action(async (container: string, newName: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('rename');
      const name = parseContainerName(newName);
      const record = await ctx.state.find(container);
      if (record.name === name)
        throw new InvalidValueError(
          'container name',
          newName,
          'renaming a container with the same name as its current name',
        );
      // The store refuses a name in use (ConflictError) under its lock.
      const renamed = await ctx.state.update(record.id, (r) => ({ ...r, name }));
      await emitContainerEvent(ctx, renamed, 'rename', { attributes: { oldName: `/${record.name}` } });
    });
}
