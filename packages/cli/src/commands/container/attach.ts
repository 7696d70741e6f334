import { Command } from 'commander';
import { ConflictError, NotFoundError } from '@koker/core';
import { contextOf, setExitCode } from '../../command-context.js';
import { attachUntilEnd } from '../../containers/attached-session.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../containers/detach-keys.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { parseBooleanFlag } from '../../run/run-option-flags.js';

interface AttachFlags {
  readonly stdin: boolean;
  readonly detachKeys?: string;
  readonly sigProxy?: string | boolean;
}

/**
 * `koker attach`: koker's stdio to a running container's, through its monitor's attach socket.
 * Exits with the container's code when it ends, 0 when the detach keys were typed.
 */
export function attachCommand(name = 'attach'): Command {
  return new Command(name)
    .description("Attach koker's stdin, stdout and stderr to a running container")
    .argument('<container>', 'container ID, ID prefix or name')
    .option('--no-stdin', 'do not attach stdin')
    .option('--detach-keys <keys>', 'keys that detach from the container (default ctrl-p,ctrl-q)')
    .option('--sig-proxy [bool]', 'forward the signals koker receives to the container (default true)')
    .action(async (container: string, flags: AttachFlags, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('attach');
      const detachKeys = parseDetachKeys(flags.detachKeys ?? DEFAULT_DETACH_KEYS);
      const sigProxy = parseBooleanFlag('--sig-proxy', flags.sigProxy, true);
      const id = await ctx.state.resolve(container);
      const record = await lifecycleOf(ctx).settle(id);
      if (!record) throw new NotFoundError(`no such container: ${container}`);
      if (!(await lifecycleOf(ctx).observe(record)).running)
        throw new ConflictError('You cannot attach to a stopped container, start it first');
      const tty = record.tty === true || record.spec?.process.terminal === true;
      const interactive = record.interactive === true || record.spec?.process.stdin === true;
      setExitCode(
        command,
        await attachUntilEnd(ctx, id, {
          stdin: flags.stdin && interactive,
          tty,
          detachKeys,
          sigProxy,
        }),
      );
    });
}
