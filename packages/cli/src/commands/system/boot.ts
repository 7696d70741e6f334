import { Command } from 'commander';
import { StateError, shortContainerId } from '@koker/core';
import { startsAtBoot } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { startDetached } from '../../containers/start-detached.js';

/**
 * `koker system boot`: what dockerd does when it starts, for a daemonless engine (podman's
 * `podman-restart.service`): every container is settled (after a reboot their monitors and
 * processes are gone), then those with `--restart always`, or `unless-stopped` and not stopped
 * by hand, are started again. Run once at boot by docs/koker-restart.service.
 */
export function bootCommand(): Command {
  return new Command('boot')
    .description('Start the containers whose restart policy is always or unless-stopped (run at boot)')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('system boot');
      const lifecycle = lifecycleOf(ctx, { appliesRestarts: true });
      const failed: string[] = [];
      for (const listed of (await ctx.state.list()).records) {
        if (!listed.restartPolicy) continue;
        const container = shortContainerId(listed.id);
        try {
          const record = await lifecycle.settle(listed.id);
          if (!record || !startsAtBoot(record) || (await lifecycle.observe(record)).running) continue;
          ctx.log.info({ container, policy: record.restartPolicy?.name }, 'Start container at boot');
          await startDetached(ctx, listed.id, lifecycle);
          process.stdout.write(`${listed.name}\n`);
        } catch (error) {
          failed.push(`${container}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (failed.length > 0)
        throw new StateError(`could not start ${failed.length} container(s): ${failed.join('; ')}`, {
          hint: 'see koker --debug system boot',
        });
    });
}
