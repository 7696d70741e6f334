import { Command } from 'commander';
import { UsageError, type ResourceLimits } from '@koker/core';
import { parseRestartPolicy } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { updateContainer } from '../../containers/update-container.js';
import { limitsFromFlags, type LimitFlags } from '../../run/limits-from-flags.js';

/**
 * `koker update`: new limits or restart policy for containers. A running container's cgroups change at once; the
 * record keeps them for its next start (a stopped container gets them then).
 */
export function updateCommand(name = 'update'): Command {
  return new Command(name)
    .description('Update configuration (resource limits, restart policy) of one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-m, --memory <bytes>', 'memory limit with unit (b, k, m, g), e.g. 512m')
    .option('--memory-swap <bytes>', 'memory + swap limit; -1 for unlimited swap')
    .option('--cpus <number>', 'number of CPUs, e.g. 1.5')
    .option('-c, --cpu-shares <weight>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <list>', 'CPUs allowed, e.g. 0-2,4')
    .option('--pids-limit <n>', 'process limit (-1 for unlimited)')
    .option('--memory-reservation <bytes>', 'memory soft limit with unit, e.g. 256m')
    .option('--restart <policy>', 'restart policy: no, on-failure[:max-retries], always, unless-stopped')
    .action(async (names: string[], flags: LimitFlags & { restart?: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('update');
      const limits: ResourceLimits = limitsFromFlags(flags);
      const policy = flags.restart === undefined ? undefined : parseRestartPolicy(flags.restart);
      if (Object.keys(limits).length === 0 && !policy)
        throw new UsageError('you must provide one or more flags when using this command');
      await forEachContainer(ctx, names, (container) =>
        updateContainer(ctx, container, { limits, restartPolicy: policy }),
      );
    });
}
