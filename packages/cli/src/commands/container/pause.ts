import { Command } from 'commander';
import { ConflictError, Resources } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { forEachContainer } from '../../containers/each-container.js';
import { runningContainer } from '../../containers/running-container.js';

/** `koker pause`: freezes every process of the containers (the cgroup freezer). */
export function pauseCommand(name = 'pause'): Command {
  return new Command(name)
    .description('Pause all processes within one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('pause');
      const resources = await ctx.driver(Resources);
      await forEachContainer(ctx, names, async (container) => {
        const record = await runningContainer(ctx, container);
        if (await resources.paused(record.id))
          throw new ConflictError(`container ${record.id} is already paused`);
        await resources.pause(record.id);
        await emitContainerEvent(ctx, record, 'pause');
      });
    });
}

/** `koker unpause`: thaws what `pause` froze. */
export function unpauseCommand(name = 'unpause'): Command {
  return new Command(name)
    .description('Unpause all processes within one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('unpause');
      const resources = await ctx.driver(Resources);
      await forEachContainer(ctx, names, async (container) => {
        const record = await runningContainer(ctx, container);
        if (!(await resources.paused(record.id)))
          throw new ConflictError(`container ${record.id} is not paused`);
        await resources.resume(record.id);
        await emitContainerEvent(ctx, record, 'unpause');
      });
    });
}
