import { Command } from 'commander';
import { matchesVolumeFilters, parseVolumeFilters, volumeUsers } from '@koker/engine';
import { collect, contextOf } from '../../command-context.js';
import { renderTable } from '../../output/table.js';

/** `koker volume ls`: Docker's table (DRIVER, VOLUME NAME), `-q` for names only. */
export function volumeLsCommand(): Command {
  return new Command('ls')
    .description('List volumes')
    .option('-q, --quiet', 'only display volume names')
    .option(
      '-f, --filter <filter>',
      'dangling=true|false, name=, label=KEY[=VALUE], driver= (repeatable)',
      collect,
      [],
    )
    .action(async (options: { quiet?: boolean; filter: string[] }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('volume ls');
      const filters = parseVolumeFilters(options.filter);
      const users = await volumeUsers(ctx.state);
      const rows: string[][] = [];
      for (const driver of await ctx.volumeDrivers().all()) {
        for (const volume of await driver.list()) {
          if (matchesVolumeFilters(volume, (users.get(volume.name) ?? []).length > 0, filters))
            rows.push([volume.driver, volume.name]);
        }
      }
      process.stdout.write(
        options.quiet ? rows.map((r) => `${r[1]}\n`).join('') : renderTable(['DRIVER', 'VOLUME NAME'], rows),
      );
    });
}
