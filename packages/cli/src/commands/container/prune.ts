import { Command } from 'commander';
import { StateError, type ContainerRecord } from '@koker/core';
import { pruneContainers } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { confirm } from '../../output/confirm.js';

/** `koker container prune`: every stopped container (exited, or created and never started). */
export function pruneCommand(name = 'prune'): Command {
  return new Command(name)
    .description('Remove all stopped containers')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (options: { force?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('container prune');
      if (
        !options.force &&
        !(await confirm(
          'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?',
        ))
      )
        return;
      const removed: ContainerRecord[] = [];
      const report = await pruneContainers(ctx.state, lifecycleOf(ctx), (record) => removed.push(record));
      for (const record of removed) await emitContainerEvent(ctx, record, 'destroy');
      if (report.removed.length > 0)
        process.stdout.write(`Deleted Containers:\n${report.removed.map((id) => `${id}\n`).join('')}`);
      if (report.failed.length > 0) {
        throw new StateError(
          `could not remove ${report.failed.length} container(s): ${report.failed.map((f) => `${f.id.slice(0, 12)}: ${f.error}`).join('; ')}`,
        );
      }
    });
}
