import { Command } from 'commander';
import { Storage, parseContainerId } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { applyRestartPolicy } from '../../containers/restart-manager.js';

/**
 * `koker container cleanup ID` (hidden): what koker-monitor execs once a detached container has
 * ended: records the exit, tears down what the container held, removes it if `--rm` (and the
 * root filesystems moved aside by the `run` attached to it).
 */
export function cleanupCommand(name = 'cleanup'): Command {
  return new Command(name)
    .description("Settle a container after its end (run by the container's monitor)")
    .argument('<id>', 'full container ID')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('container cleanup');
      const container = parseContainerId(id);
      const lifecycle = lifecycleOf(ctx, { appliesRestarts: true });
      // Its die (and destroy with --rm) are journaled by whichever process settles it: this
      // one, or an attached `run` or any command that found it ended first.
      const record = await lifecycle.settle(container);
      // What the monitor's log (monitor.log) keeps of the end.
      ctx.log.info(
        { container: container.slice(0, 12), exitCode: record?.exitCode, removed: record === undefined },
        'Container exited',
      );
      // Its restart policy: the back-off, then a new monitor (this process ends either way).
      if (record) await applyRestartPolicy(ctx, container, lifecycle);
      // Removed (--rm): an attached `run` moved its root filesystem aside for this to remove.
      else await (await ctx.driver(Storage)).sweep?.();
    });
}
