import { Command } from 'commander';
import { ConflictError, isKokerError } from '@koker/core';
import { removeVolume, volumeUsers } from '@koker/engine';
import { contextOf } from '../../command-context.js';

/** `koker volume rm NAME...`: a volume a container uses is refused, even with -f (as Docker). */
export function volumeRmCommand(): Command {
  return new Command('rm')
    .description('Remove one or more volumes')
    .argument('<names...>', 'volume names')
    .option('-f, --force', 'no error for a volume that does not exist')
    .action(async (names: string[], options: { force?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('volume rm');
      const context = { volumes: ctx.volumeDrivers(), state: ctx.state, log: ctx.log };
      const users = await volumeUsers(ctx.state);
      const failures: unknown[] = [];
      for (const name of names) {
        try {
          if (await removeVolume(name, { force: options.force === true }, context, users)) {
            process.stdout.write(`${name}\n`);
          }
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1)
        throw new ConflictError(
          failures.map((f) => (isKokerError(f) || f instanceof Error ? f.message : String(f))).join('; '),
        );
    });
}
