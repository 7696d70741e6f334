import { Command } from 'commander';
import { collect, contextOf, setExitCode } from '../../command-context.js';
import { type ExecFlags } from '../../run/exec-container.js';

/** `koker exec` / `koker container exec`. */
export function execCommand(name = 'exec'): Command {
  return new Command(name)
    .description('Run a command inside a running container')
    .usage('[options] CONTAINER COMMAND [ARG...]')
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('<command...>', 'command and arguments')
    .option('-d, --detach', 'run the command in the background')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or UID, optional group')
    .passThroughOptions()
    .action(async (container: string, args: string[], flags: ExecFlags, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('exec');
      const { execContainer } = await import('../../run/exec-container.js');
      setExitCode(command, await execContainer(context, container, args, flags));
    });
}
