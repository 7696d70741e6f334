import { Command } from 'commander';
import { NotFoundError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { inspectDocument } from '../../containers/inspect-view.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { containerNetworks } from '../../networks/container-networks.js';

export function inspectCommand(name = 'inspect'): Command {
  return new Command(name)
    .description('Show low-level information on containers, as JSON')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('inspect');
      const lifecycle = lifecycleOf(ctx);
      const documents: unknown[] = [];
      try {
        await forEachContainer(
          ctx,
          names,
          async (name) => {
            const id = await ctx.state.resolve(name);
            // Touching a container settles it: a crash's leftovers are cleaned before it is shown.
            const record = await lifecycle.settle(id);
            if (!record) throw new NotFoundError(`no such container: ${name}`);
            documents.push(
              inspectDocument(record, await lifecycle.observe(record), await containerNetworks(ctx, record)),
            );
          },
          { echo: false },
        );
      } finally {
        process.stdout.write(`${JSON.stringify(documents, null, 4)}\n`);
      }
    });
}
