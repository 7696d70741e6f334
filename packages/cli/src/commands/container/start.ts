import { closeSync } from 'node:fs';
import { Command } from 'commander';
import { NativeLauncher, startContainer } from '@koker/engine';
import { Network, NotImplementedError, Resources, Storage } from '@koker/core';
import { nativeHelperPath } from '@koker/host';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { monitorStdio, monitorWrapper } from '../../containers/monitor.js';

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
        const drivers = {
          storage: await ctx.driver(Storage),
          resources: await ctx.driver(Resources),
          network: await ctx.driver(Network),
          launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
          state: ctx.state,
          volumes: ctx.volumeDrivers(),
        };
        const lifecycle = lifecycleOf(ctx);
        await forEachContainer(ctx, names, async (container) => {
          const opened: number[] = [];
          try {
            await startContainer(
              await ctx.state.resolve(container),
              drivers,
              lifecycle,
              (record) => {
                const stdio = monitorStdio(ctx, record.id);
                opened.push(stdio[2]);
                return {
                  wrapper: monitorWrapper(ctx, record.id, {
                    tty: record.tty === true || record.spec?.process.terminal === true,
                    stdin: record.interactive === true || record.spec?.process.stdin === true,
                  }),
                  stdio,
                };
              },
              ctx.log,
            );
          } finally {
            for (const fd of opened) closeSync(fd);
          }
        });
      },
    );
}
