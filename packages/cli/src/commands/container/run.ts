import { Command, Option } from 'commander';
import { collect, contextOf, setExitCode } from '../../command-context.js';
import { parseBool } from '../../containers/bool-flag.js';
import { type RunCommandFlags } from '../../run/run-container.js';

/** `koker run` / `koker container run`: flags as Docker spells them, plus the Go koker's. */
export function runCommand(name = 'run'): Command {
  return new Command(name)
    .description('Run a command in a new container')
    .usage('[options] IMAGE [COMMAND] [ARG...]')
    .argument('<image>', 'image reference, e.g. busybox or localhost:5000/app:1')
    .argument('[command...]', 'command and arguments (replace the image Cmd)')
    .helpOption('--help', 'display help for command')
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('--rm', 'remove the container when it exits')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('--name <name>', 'assign a name to the container')
    .option('-h, --hostname <name>', 'container hostname (default: the short ID)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or UID, optional group name or GID')
    .option('--entrypoint <command>', 'override the image entrypoint')
    .option('-m, --memory <bytes>', 'memory limit with unit (b, k, m, g), e.g. 512m')
    .addOption(new Option('--mem <MiB>', "memory limit in MiB (the Go koker's flag)"))
    .option('--memory-swap <bytes>', 'memory + swap limit; -1 for unlimited swap')
    .addOption(new Option('--swap <MiB>', "swap limit in MiB, on top of memory (the Go koker's flag)"))
    .option('--cpus <number>', 'number of CPUs, e.g. 1.5')
    .option('-c, --cpu-shares <weight>', 'relative CPU weight')
    .option('--cpuset-cpus <list>', 'CPUs allowed, e.g. 0-2,4')
    .option('--pids-limit <n>', 'process limit; -1 for unlimited')
    .addOption(new Option('--pids <n>', "process limit (the Go koker's flag)"))
    .option(
      '-p, --publish <[ip:]host:container[/proto]>',
      'publish a container port (repeatable)',
      collect,
      [],
    )
    .option('--network, --net <mode>', 'bridge (default), none or host', 'bridge')
    .option('--dns <ip>', 'DNS server (repeatable)', collect, [])
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--cap-add <cap>', 'add a Linux capability (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a Linux capability (repeatable)', collect, [])
    .option('--privileged', 'give every capability and device, and no masked paths')
    .option('--device <device>', 'add a host device, HOST[:CONTAINER][:rwm] (repeatable)', collect, [])
    .option(
      '--device-cgroup-rule <rule>',
      'allow devices in the cgroup, e.g. "c 42:* rmw" (repeatable)',
      collect,
      [],
    )
    .option('--security-opt <opt>', 'security option, e.g. no-new-privileges (repeatable)', collect, [])
    .option('--init', 'run a minimal init as PID 1 that reaps zombies and forwards signals')
    .option('--log-driver <driver>', 'json-file (default), local or none')
    .option(
      '--log-opt <key=value>',
      'log driver option: max-size (default 20m), max-file (default 5)',
      collect,
      [],
    )
    .option('--detach-keys <keys>', 'keys that detach from the container (default ctrl-p,ctrl-q)')
    .addOption(
      new Option(
        '--sig-proxy [bool]',
        'send the signals koker gets to the container (default true)',
      ).argParser(parseBool),
    )
    .option('--platform <os/arch>', 'platform to pull if the image is absent')
    .addOption(
      new Option('--pull <policy>', 'when to pull the image')
        .choices(['missing', 'always', 'never'])
        .default('missing'),
    )
    .passThroughOptions()
    .action(async (image: string, args: string[], flags: RunCommandFlags, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('run');
      // Loaded on demand: `koker --help` and the other commands never pay for the run path.
      const { runContainer } = await import('../../run/run-container.js');
      setExitCode(command, await runContainer(context, image, args, flags));
    });
}
