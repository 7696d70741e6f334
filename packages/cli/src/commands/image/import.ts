import { Command } from 'commander';
import { NotImplementedError } from '@koker/core';

/** `koker import`: placeholder until the tarball importer lands. */
export function importCommand(name = 'import'): Command {
  return new Command(name)
    .description('Import the contents from a tarball to create a filesystem image')
    .argument('<file|URL|->')
    .argument('[reference]')
    .action(() => {
      throw new NotImplementedError('import');
    });
}
