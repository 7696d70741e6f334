import { Command } from 'commander';
import { Resources } from '@koker/core';
import { signalNumber } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { containerStarter } from './start.js';
import { parseSeconds } from './stop.js';

/** `koker restart`: stop (its stop signal or -s, SIGKILL after -t or its --stop-timeout) when running, then start again under a new monitor. */
export function restartCommand(name = 'restart'): Command {
  return new Command(name)
    .description('Restart one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option(
      '-t, --time <seconds>',
      "seconds to wait before killing (default: the container's --stop-timeout, else 10)",
    )
    .option(
      '-s, --signal <signal>',
      "signal to stop it with (default: the container's stop signal, else TERM)",
    )
    .action(async (names: string[], options: { time?: string; signal?: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('restart');
      const seconds = options.time === undefined ? undefined : parseSeconds(options.time);
      const signal = options.signal === undefined ? undefined : signalNumber(options.signal);
      const lifecycle = lifecycleOf(ctx);
      const start = await containerStarter(ctx);
      const resources = await ctx.driver(Resources);
      await forEachContainer(ctx, names, async (container) => {
        const id = await ctx.state.resolve(container);
        // A frozen container cannot act on the stop signal: thaw it first.
        if (await resources.paused(id)) await resources.resume(id);
        await lifecycle.stop(id, seconds, signal);
        await start(id);
        await emitContainerEvent(ctx, await ctx.state.get(id), 'restart');
      });
    });
}
