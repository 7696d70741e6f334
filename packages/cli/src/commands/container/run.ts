import { Command } from 'commander';
import { contextOf, setExitCode } from '../../command-context.js';
import { type RunCommandFlags } from '../../run/run-container.js';
import { traceTo } from '../../trace/command-trace.js';
import { addContainerOptions } from './container-options.js';

/** `koker run` / `koker container run`: flags as Docker spells them, plus the Go koker's. */
export function runCommand(name = 'run'): Command {
  return addContainerOptions(
    new Command(name)
      .description('Run a command in a new container')
      .usage('[options] IMAGE [COMMAND] [ARG...]')
      .argument('<image>', 'image reference, e.g. busybox or localhost:5000/app:1')
      .argument('[command...]', 'command and arguments (replace the image Cmd)')
      .helpOption('--help', 'display help for command')
      .option('-d, --detach', 'run in the background and print the container ID'),
  )
    .option('--detach-keys <keys>', 'keys that detach from the container (default ctrl-p,ctrl-q)')
    .option('--sig-proxy [bool]', 'forward the signals koker receives to the container (default true)')
    .option('--trace <file>', "write a trace of koker's steps to FILE (Chrome trace-event JSON: Perfetto)")
    .passThroughOptions()
    .action(async (image: string, args: string[], flags: RunCommandFlags, command: Command) => {
      if (flags.trace) traceTo(flags.trace);
      const context = contextOf(command);
      context.requireRoot('run');
      // Loaded on demand: `koker --help` and the other commands never pay for the run path.
      const { runContainer } = await import('../../run/run-container.js');
      setExitCode(command, await runContainer(context, image, args, flags));
    });
}
