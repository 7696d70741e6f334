import { Command } from 'commander';
import { StateError } from '@koker/core';
import { collect, contextOf } from '../../command-context.js';
import { parsePruneFilters } from '../../filters/prune-filters.js';
import { pruneStoppedContainers } from '../../containers/prune-containers.js';
import { confirm } from '../../output/confirm.js';

/** `koker container prune`: every stopped container (exited, or created and never started). */
export function pruneCommand(name = 'prune'): Command {
  return new Command(name)
    .description('Remove all stopped containers')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'only containers matching (until=, label=, label!=)', collect, [])
    .action(async (options: { force?: boolean; filter: string[] }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('container prune');
      const { accepts } = parsePruneFilters(options.filter);
      if (
        !options.force &&
        !(await confirm(
          'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?',
        ))
      )
        return;
      const report = await pruneStoppedContainers(ctx, (record) =>
        accepts({ created: record.created, labels: record.labels }),
      );
      if (report.removed.length > 0)
        process.stdout.write(`Deleted Containers:\n${report.removed.map((id) => `${id}\n`).join('')}`);
      if (report.failed.length > 0) {
        throw new StateError(
          `could not remove ${report.failed.length} container(s): ${report.failed.map((f) => `${f.id.slice(0, 12)}: ${f.error}`).join('; ')}`,
        );
      }
    });
}
