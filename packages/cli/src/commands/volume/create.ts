import { Command } from 'commander';
import { InvalidValueError, isVolumeName } from '@koker/core';
import { DEFAULT_VOLUME_DRIVER, anonymousVolumeName, createVolume } from '@koker/engine';
import { collect, contextOf } from '../../command-context.js';
import { keyValues } from './key-values.js';

/** `koker volume create [NAME]`: prints the name (generated when none is given). */
export function volumeCreateCommand(): Command {
  return new Command('create')
    .description('Create a volume')
    .argument('[name]', 'volume name (default: a generated one)')
    .option('-d, --driver <name>', 'volume driver', DEFAULT_VOLUME_DRIVER)
    .option('--label <key=value>', 'set metadata on the volume (repeatable)', collect, [])
    .option(
      '-o, --opt <key=value>',
      "driver options, e.g. type=tmpfs (the local driver's type, device, o)",
      collect,
      [],
    )
    .action(
      async (
        name: string | undefined,
        options: { driver: string; label: string[]; opt: string[] },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        ctx.requireRoot('volume create');
        if (name !== undefined && !isVolumeName(name))
          throw new InvalidValueError(
            'volume name',
            name,
            'use [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters or more)',
          );
        const volume = await createVolume(ctx.volumeDrivers(), options.driver, {
          name: name ?? anonymousVolumeName(),
          labels: keyValues('--label', options.label, false),
          options: keyValues('--opt', options.opt, true),
        });
        process.stdout.write(`${volume.name}\n`);
      },
    );
}
