import { Command } from 'commander';
import { contextOf, setExitCode } from '../../command-context.js';
import { type RunCommandFlags } from '../../run/run-container.js';
import { traceTo } from '../../trace/command-trace.js';
import { addContainerOptions } from './container-options.js';

/** `koker create` / `koker container create`: run's flags; prints the ID of the `Created` container. */
export function createCommand(name = 'create'): Command {
  return addContainerOptions(
    new Command(name)
      .description('Create a new container (start it later with koker start)')
      .usage('[options] IMAGE [COMMAND] [ARG...]')
      .argument('<image>', 'image reference, e.g. busybox or localhost:5000/app:1')
      .argument('[command...]', 'command and arguments (replace the image Cmd)')
      .helpOption('--help', 'display help for command'),
  )
    .option('--trace <file>', "write a trace of koker's steps to FILE (Chrome trace-event JSON: Perfetto)")
    .passThroughOptions()
    .action(async (image: string, args: string[], flags: RunCommandFlags, command: Command) => {
      if (flags.trace) traceTo(flags.trace);
      const context = contextOf(command);
      context.requireRoot('create');
      const { createContainer } = await import('../../run/run-container.js');
      setExitCode(command, await createContainer(context, image, args, flags));
    });
}
