import { Command } from 'commander';
import { formatDecimalSize } from '@koker/core';
import { matchesVolumeFilters, parseVolumeFilters, pruneVolumes } from '@koker/engine';
import { collect, contextOf } from '../../command-context.js';
import { confirm } from '../../output/confirm.js';

/** `koker volume prune`: unused anonymous volumes, or every unused one with -a. */
export function volumePruneCommand(): Command {
  return new Command('prune')
    .description('Remove unused anonymous volumes (all unused volumes with -a)')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'label=KEY[=VALUE] (repeatable)', collect, [])
    .action(async (options: { all?: boolean; force?: boolean; filter: string[] }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('volume prune');
      const filters = parseVolumeFilters(options.filter, ['label']);
      const all = options.all === true;
      if (
        !options.force &&
        !(await confirm(
          `WARNING! This will remove ${all ? 'all' : 'anonymous'} local volumes not used by at least one container.\nAre you sure you want to continue?`,
        ))
      )
        return;
      const report = await pruneVolumes(
        { all, accept: (volume) => matchesVolumeFilters(volume, false, filters) },
        { volumes: ctx.volumeDrivers(), state: ctx.state, log: ctx.log },
      );
      const out = report.deleted.length > 0 ? ['Deleted Volumes:', ...report.deleted, ''] : [];
      out.push(`Total reclaimed space: ${formatDecimalSize(report.reclaimed)}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
