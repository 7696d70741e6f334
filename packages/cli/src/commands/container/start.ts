import { closeSync } from 'node:fs';
import { Command } from 'commander';
import { NativeLauncher, readLogConfig, startContainer } from '@koker/engine';
import { Network, Resources, Storage, UsageError, type ContainerId } from '@koker/core';
import { nativeHelperPath } from '@koker/host';
import { contextOf, setExitCode } from '../../command-context.js';
import { type Socket } from 'node:net';
import { connectAttachWhenReady } from '../../containers/attach-client.js';
import { attachUntilEnd } from '../../containers/attached-session.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../containers/detach-keys.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { monitorStdio, monitorWrapper, terminalSize } from '../../containers/monitor.js';

interface StartFlags {
  readonly attach?: boolean;
  readonly interactive?: boolean;
  readonly detachKeys?: string;
}

export function startCommand(name = 'start'): Command {
  return new Command(name)
    .description('Start stopped containers (in the background, under their monitor)')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-a, --attach', "attach koker's stdout and stderr, and exit with the container's code")
    .option('-i, --interactive', "attach koker's stdin")
    .option('--detach-keys <keys>', 'keys that detach from the container (default ctrl-p,ctrl-q)')
    .action(async (names: string[], options: StartFlags, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('start');
      const attach = options.attach === true || options.interactive === true;
      if (attach && names.length > 1)
        throw new UsageError('you cannot start and attach multiple containers at once');
      const detachKeys = parseDetachKeys(options.detachKeys ?? DEFAULT_DETACH_KEYS);
      const drivers = {
        storage: await ctx.driver(Storage),
        resources: await ctx.driver(Resources),
        network: await ctx.driver(Network),
        launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
        state: ctx.state,
      };
      const lifecycle = lifecycleOf(ctx);
      let attached: { id: ContainerId; tty: boolean; stdin: boolean; socket: Promise<Socket> } | undefined;
      await forEachContainer(
        ctx,
        names,
        async (container) => {
          const opened: number[] = [];
          try {
            await startContainer(
              await ctx.state.resolve(container),
              drivers,
              lifecycle,
              (record) => {
                const dir = ctx.state.directory(record.id);
                const stdio = monitorStdio(ctx, record.id);
                opened.push(stdio[2]);
                const inside = record.spec?.process.terminal === true;
                const tty = record.tty === true || inside;
                const size = attach ? terminalSize() : undefined;
                const stdin = record.interactive === true || record.spec?.process.stdin === true;
                if (attach) {
                  const socket = connectAttachWhenReady(dir);
                  socket.catch(() => undefined); // a failed start reports its own error
                  attached = { id: record.id, tty, stdin: stdin && options.interactive === true, socket };
                }
                return {
                  wrapper: monitorWrapper(ctx, record.id, {
                    tty,
                    terminalInside: inside,
                    ...(size ? { size } : {}),
                    stdin,
                    stdinOnce: attached?.stdin === true,
                    log: readLogConfig(dir),
                    attachNow: attach,
                  }),
                  stdio,
                };
              },
              ctx.log,
            );
          } finally {
            for (const fd of opened) closeSync(fd);
          }
        },
        // Attached, the name is not printed: the container's output is.
        { echo: !attach },
      );
      if (!attached) return;
      setExitCode(
        command,
        await attachUntilEnd(
          ctx,
          attached.id,
          { stdin: attached.stdin, tty: attached.tty, detachKeys, sigProxy: true },
          await attached.socket,
        ),
      );
    });
}
