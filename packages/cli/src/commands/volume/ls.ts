import { Command } from 'commander';
import { matchesVolumeFilters, parseVolumeFilters, volumeUsers } from '@koker/engine';
import { collect, contextOf } from '../../command-context.js';
import { type Volume } from '@koker/core';
import { parseFormat, renderItems } from '../../output/template/index.js';
import { DEFAULT_VOLUME_FORMAT, VOLUME_HEADERS, VolumeContext } from '../../output/volume-network-context.js';

/** `koker volume ls`: Docker's table (DRIVER, VOLUME NAME), `-q` for names only, `--format`. */
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
    .option('--format <format>', 'format output: table (default), table TEMPLATE, json, or a Go template')
    .action(async (options: { quiet?: boolean; filter: string[]; format?: string }, command: Command) => {
      const ctx = contextOf(command);
      const format = parseFormat(options.format);
      ctx.requireRoot('volume ls');
      const filters = parseVolumeFilters(options.filter);
      const users = await volumeUsers(ctx.state);
      const rows: Volume[] = [];
      for (const driver of await ctx.volumeDrivers().all()) {
        for (const volume of await driver.list()) {
          if (matchesVolumeFilters(volume, (users.get(volume.name) ?? []).length > 0, filters))
            rows.push(volume);
        }
      }
      process.stdout.write(
        options.quiet
          ? rows.map((r) => `${r.name}\n`).join('')
          : renderItems(
              format,
              DEFAULT_VOLUME_FORMAT,
              rows.map((r) => new VolumeContext(r)),
              VOLUME_HEADERS,
            ),
      );
    });
}
