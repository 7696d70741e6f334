import { Command } from 'commander';
import { Resources } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { containerStarter } from './start.js';
import { parseSeconds } from './stop.js';

/** `koker restart`: stop (signal, SIGKILL after -t) when running, then start again under a new monitor. */
export function restartCommand(name = 'restart'): Command {
  return new Command(name)
    .description('Restart one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-t, --time <seconds>', 'seconds to wait before killing', '10')
    .action(async (names: string[], options: { time: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('restart');
      const seconds = parseSeconds(options.time);
      const lifecycle = lifecycleOf(ctx);
      const start = await containerStarter(ctx);
      const resources = await ctx.driver(Resources);
      await forEachContainer(ctx, names, async (container) => {
        const id = await ctx.state.resolve(container);
        // A frozen container cannot act on the stop signal: thaw it first.
        if (await resources.paused(id)) await resources.resume(id);
        await lifecycle.stop(id, seconds);
        await start(id);
        await emitContainerEvent(ctx, await ctx.state.get(id), 'restart');
      });
    });
}
