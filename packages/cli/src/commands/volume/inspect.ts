import { Command } from 'commander';
import { NotFoundError, type Volume } from '@koker/core';
import { findVolume } from '@koker/engine';
import { contextOf } from '../../command-context.js';

/** Docker's shape of a volume. */
export function volumeView(volume: Volume): Record<string, unknown> {
  return {
    CreatedAt: volume.createdAt,
    Driver: volume.driver,
    Labels: volume.labels,
    Mountpoint: volume.mountpoint,
    Name: volume.name,
    Options: volume.options,
    Scope: volume.scope,
  };
}

/** `koker volume inspect NAME...`: a JSON array; a missing volume fails after the others are shown. */
export function volumeInspectCommand(): Command {
  return new Command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<names...>', 'volume names')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('volume inspect');
      const found: Record<string, unknown>[] = [];
      const missing: string[] = [];
      for (const name of names) {
        try {
          found.push(volumeView(await findVolume(name, ctx.volumeDrivers())));
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          missing.push(name);
        }
      }
      process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
      if (missing.length > 0) throw new NotFoundError(`no such volume: ${missing.join(', ')}`);
    });
}
