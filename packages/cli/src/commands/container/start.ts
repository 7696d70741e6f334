import { Command } from 'commander';
import { NotImplementedError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { startDetached } from '../../containers/start-detached.js';

/** Starts one stopped container (ID, prefix or name) under its monitor; `restart` uses it too. */
export async function containerStarter(ctx: CliContext): Promise<(container: string) => Promise<void>> {
  const lifecycle = lifecycleOf(ctx);
  return async (container) => {
    const started = await startDetached(ctx, await ctx.state.resolve(container), lifecycle);
    await emitContainerEvent(ctx, started, 'start', started.started ? { at: started.started } : {});
  };
}

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
        await forEachContainer(ctx, names, await containerStarter(ctx));
      },
    );
}
