import { Command } from 'commander';
import { InvalidValueError } from '@koker/core';
import { signalNumber } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { thawIfPaused } from '../../containers/running-container.js';

export function parseSeconds(input: string): number {
  const value = Number(input);
  if (!/^\d+(\.\d+)?$/.test(input) || !Number.isFinite(value))
    throw new InvalidValueError('--time', input, 'expected a number of seconds');
  return value;
}

export function stopCommand(name = 'stop'): Command {
  return new Command(name)
    .description('Stop running containers (the stop signal, SIGKILL after the timeout)')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option(
      '-t, --time <seconds>',
      "seconds to wait before killing (default: the container's --stop-timeout, else 10)",
    )
    .option('-s, --signal <signal>', "signal to send (default: the container's stop signal, else TERM)")
    .action(async (names: string[], options: { time?: string; signal?: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('stop');
      const seconds = options.time === undefined ? undefined : parseSeconds(options.time);
      const signal = options.signal === undefined ? undefined : signalNumber(options.signal);
      const lifecycle = lifecycleOf(ctx);
      await forEachContainer(ctx, names, async (container) => {
        const id = await ctx.state.resolve(container);
        const record = await ctx.state.get(id);
        // Thawed first, as Docker's stop does: frozen processes cannot act on the stop signal.
        await thawIfPaused(ctx, id);
        await lifecycle.stop(id, seconds, signal);
        await emitContainerEvent(ctx, record, 'stop');
      });
    });
}
