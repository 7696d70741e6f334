import { Command } from 'commander';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';

/** `koker rm` / `koker container rm`. */
export function rmCommand(name = 'rm'): Command {
  return new Command(name)
    .description('Remove one or more containers, and everything they hold')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-f, --force', 'kill a running container first (also removes a broken record)')
    .option('-v, --volumes', 'remove the anonymous volumes of the container too')
    .action(async (names: string[], options: { force?: boolean; volumes?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('rm');
      const lifecycle = lifecycleOf(ctx);
      await forEachContainer(ctx, names, async (container) => {
        await lifecycle.remove(await ctx.state.resolve(container), {
          force: options.force === true,
          volumes: options.volumes === true,
        });
      });
    });
}
