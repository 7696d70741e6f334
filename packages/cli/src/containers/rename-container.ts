import { InvalidValueError, parseContainerName } from '@koker/core';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';

/** Renames a container, running or not, as Docker; `rename` and the API. */
export async function renameContainer(ctx: CliContext, container: string, newName: string): Promise<void> {
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
}
