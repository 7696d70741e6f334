import { Command } from 'commander';
import { NotImplementedError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { startDetached } from '../../containers/start-detached.js';

export function startCommand(name = 'start'): Command {
  return new Command(name)
    .description('Start stopped containers (in the background, under their monitor)')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-a, --attach', "attach to the container's output (not yet: use koker logs -f)")
    .option('-i, --interactive', "attach the container's stdin (not yet)")
    .action(
      async (names: string[], options: { attach?: boolean; interactive?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        ctx.requireRoot('start');
        if (options.attach || options.interactive)
          throw new NotImplementedError('start --attach/--interactive');
        const lifecycle = lifecycleOf(ctx);
        await forEachContainer(ctx, names, async (container) => {
          await startDetached(ctx, await ctx.state.resolve(container), lifecycle);
        });
      },
    );
}
