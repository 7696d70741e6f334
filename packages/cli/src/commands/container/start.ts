import { Command } from 'commander';
import { UsageError } from '@koker/core';
import { contextOf, setExitCode } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { attachUntilEnd } from '../../containers/attached-session.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../containers/detach-keys.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { startDetached, type PromisedAttach, type AttachRequest } from '../../containers/start-detached.js';
import { traceTo } from '../../trace/command-trace.js';

interface StartFlags {
  readonly attach?: boolean;
  readonly interactive?: boolean;
  readonly detachKeys?: string;
  readonly trace?: string;
}

/**
 * Starts one stopped container (ID, prefix or name) under its monitor and records the event;
 * `restart` uses it too. With an attach request, hands back the attach to wait on.
 */
export async function containerStarter(
  ctx: CliContext,
  attach?: AttachRequest,
): Promise<(container: string) => Promise<PromisedAttach | undefined>> {
  const lifecycle = lifecycleOf(ctx);
  return async (container) => {
    const started = await startDetached(ctx, await ctx.state.resolve(container), lifecycle, {}, attach);
    const record = started.record;
    await emitContainerEvent(ctx, record, 'start', record.started ? { at: record.started } : {});
    return started.attach;
  };
}

export function startCommand(name = 'start'): Command {
  return new Command(name)
    .description('Start stopped containers (in the background, under their monitor)')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-a, --attach', "attach koker's stdout and stderr, and exit with the container's code")
    .option('-i, --interactive', "attach koker's stdin")
    .option('--detach-keys <keys>', 'keys that detach from the container (default ctrl-p,ctrl-q)')
    .option('--trace <file>', "write a trace of koker's steps to FILE (Chrome trace-event JSON: Perfetto)")
    .action(async (names: string[], options: StartFlags, command: Command) => {
      if (options.trace) traceTo(options.trace);
      const ctx = contextOf(command);
      ctx.requireRoot('start');
      const attach = options.attach === true || options.interactive === true;
      if (attach && names.length > 1)
        throw new UsageError('you cannot start and attach multiple containers at once');
      const detachKeys = parseDetachKeys(options.detachKeys ?? DEFAULT_DETACH_KEYS);
      const start = await containerStarter(
        ctx,
        attach ? { interactive: options.interactive === true } : undefined,
      );
      let attached: PromisedAttach | undefined;
      await forEachContainer(
        ctx,
        names,
        async (container) => {
          attached = await start(container);
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
