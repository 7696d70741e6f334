import { Command } from 'commander';
import { signalNumber } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';

export function killCommand(name = 'kill'): Command {
  return new Command(name)
    .description('Send a signal to running containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-s, --signal <signal>', 'signal to send (name or number)', 'KILL')
    .action(async (names: string[], options: { signal: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('kill');
      const signal = signalNumber(options.signal);
      const lifecycle = lifecycleOf(ctx);
      await forEachContainer(ctx, names, async (container) => {
        await lifecycle.kill(await ctx.state.resolve(container), signal);
      });
    });
}
