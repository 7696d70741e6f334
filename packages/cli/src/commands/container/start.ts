import { closeSync } from 'node:fs';
import { Command } from 'commander';
import { NativeLauncher, startContainer } from '@koker/engine';
import { Network, NotImplementedError, Resources, Storage } from '@koker/core';
import { nativeHelperPath } from '@koker/host';
import { contextOf } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { monitorStdio, monitorWrapper } from '../../containers/monitor.js';

/** Starts one stopped container (ID, prefix or name) under its monitor; `restart` uses it too. */
export async function containerStarter(ctx: CliContext): Promise<(container: string) => Promise<void>> {
  const drivers = {
    storage: await ctx.driver(Storage),
    resources: await ctx.driver(Resources),
    network: await ctx.driver(Network),
    launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
    state: ctx.state,
    volumes: ctx.volumeDrivers(),
  };
  const lifecycle = lifecycleOf(ctx);
  return async (container) => {
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
      const started = await ctx.state.find(container);
      await emitContainerEvent(ctx, started, 'start', started.started ? { at: started.started } : {});
    } finally {
      for (const fd of opened) closeSync(fd);
    }
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
