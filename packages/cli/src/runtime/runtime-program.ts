import { Command, Option } from 'commander';
import {
  create,
  deleteContainer,
  exec,
  features,
  kill,
  ociState,
  OCI_VERSION,
  pause,
  ps,
  run,
  start,
  writeSpec,
} from './runtime-commands.js';
import { RuntimeServices, type RuntimeGlobals } from './runtime-services.js';

export const RUNTIME_VERSION = '0.1.0';

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * koker-runtime's command line: runc's commands and flags, as conmon, containerd's shim and
 * dockerd call them. Each action sets `result.code` (an exec's status; otherwise 0).
 */
export function buildRuntimeProgram(result: { code: number; services?: RuntimeServices }): Command {
  const program = new Command('koker-runtime')
    .description("an OCI runtime (runc's command line) over koker's launcher and cgroup drivers")
    .option('--root <dir>', 'root directory for storage of container state', '/run/koker-runtime')
    .option('--log <file>', 'where to write logs and errors (default: stderr)')
    .addOption(
      new Option('--log-format <format>', 'the log format').choices(['text', 'json']).default('text'),
    )
    .option('--debug', 'debug logging', false)
    .option('--systemd-cgroup', 'read cgroupsPath as slice:prefix:name (made on cgroupfs)', false)
    .option('--rootless <value>', 'ignored (koker-runtime runs as root)')
    .option('--criu <path>', 'ignored (no checkpoint/restore)')
    .enablePositionalOptions()
    .version(`koker-runtime version ${RUNTIME_VERSION}\nspec: ${OCI_VERSION}`, '-v, --version');
  const services = () => {
    const o = program.opts<{
      root: string;
      log?: string;
      logFormat: 'text' | 'json';
      debug: boolean;
      systemdCgroup: boolean;
    }>();
    const globals: RuntimeGlobals = {
      root: o.root,
      ...(o.log ? { log: o.log } : {}),
      logFormat: o.logFormat,
      debug: o.debug,
      systemdCgroup: o.systemdCgroup,
    };
    result.services ??= new RuntimeServices(globals);
    return result.services;
  };
  const createFlags = (command: Command) =>
    command
      .option('-b, --bundle <dir>', 'path to the root of the bundle directory', '.')
      .option('--pid-file <file>', 'file to write the process id to')
      .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master (SCM_RIGHTS)')
      .option('--no-pivot', 'ignored: koker always uses pivot_root')
      .option('--no-new-keyring', 'ignored: koker makes no session keyring')
      .option('--preserve-fds <n>', 'pass N more file descriptors, from fd 3 (after LISTEN_FDS)', '0');

  createFlags(program.command('create <container-id>').description('create a container')).action(
    async (id: string, o) => {
      await create(services(), id, o);
    },
  );
  program
    .command('start <container-id>')
    .description('execute the user-defined process of a created container')
    .action(async (id: string) => start(services(), id));
  createFlags(program.command('run <container-id>').description('create and run a container'))
    .option('-d, --detach', 'detach from the container process')
    .action(async (id: string, o) => {
      result.code = await run(services(), id, o);
    });
  program
    .command('state <container-id>')
    .description('output the state of a container')
    .action(async (id: string) => {
      const s = services();
      process.stdout.write(`${JSON.stringify(await ociState(s, s.store.load(id)), null, '  ')}\n`);
    });
  program
    .command('kill <container-id> [signal]')
    .description('send a signal to the container process (default SIGTERM)')
    .option('-a, --all', 'send the signal to every process of the container')
    .action(async (id: string, signal: string | undefined, o: { all?: boolean }) =>
      kill(services(), id, signal ?? 'SIGTERM', o.all === true),
    );
  program
    .command('delete <container-id>')
    .description('delete a container')
    .option('-f, --force', 'kill the container first if it runs')
    .action(async (id: string, o: { force?: boolean }) => deleteContainer(services(), id, o.force === true));
  program
    .command('pause <container-id>')
    .description('freeze every process of the container')
    .action(async (id: string) => pause(services(), id, true));
  program
    .command('resume <container-id>')
    .description('thaw a paused container')
    .action(async (id: string) => pause(services(), id, false));
  program
    .command('ps <container-id> [ps-args...]')
    .description('processes of the container')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (id: string, args: string[], o: { format: string }) => {
      process.stdout.write(await ps(services(), id, o.format, args));
    });
  program
    .command('list')
    .alias('ls')
    .description('list containers')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'IDs only')
    .action(async (o: { format: string; quiet?: boolean }) => {
      const s = services();
      const states = [];
      for (const id of s.store.ids()) states.push(await ociState(s, s.store.load(id)));
      if (o.quiet) process.stdout.write(states.map((st) => `${st.id}\n`).join(''));
      else if (o.format === 'json') process.stdout.write(`${JSON.stringify(states)}\n`);
      else {
        const rows = [
          ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
          ...states.map((st) => [st.id, String(st.pid), st.status, st.bundle, st.created, 'root']),
        ];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        process.stdout.write(
          rows
            .map(
              (r) =>
                r
                  .map((c, i) => c.padEnd(widths[i]! + 3))
                  .join('')
                  .trimEnd() + '\n',
            )
            .join(''),
        );
      }
    });
  program
    .command('exec <container-id> [command...]')
    .description('run a process in a running container')
    // `exec ID sh -c CMD`: what follows the command is its own.
    .passThroughOptions()
    .option('-p, --process <file>', 'a process.json')
    .option('-d, --detach', 'detach from the process')
    .option('--pid-file <file>', 'file to write the process id to')
    .option('-t, --tty', 'a pseudo-terminal')
    .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master')
    .option('--cwd <dir>', 'working directory')
    .option('-e, --env <var>', 'environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'the user')
    .option('-c, --cap <cap>', 'an extra capability (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('--preserve-fds <n>', 'pass N more file descriptors, from fd 3', '0')
    .option('--apparmor <profile>', 'not supported')
    .option('--process-label <label>', 'not supported')
    .action(async (id: string, command: string[], o) => {
      result.code = await exec(services(), id, command, o);
    });
  program
    .command('spec')
    .description('write a default config.json')
    .option('-b, --bundle <dir>', 'where to write it', '.')
    .option('--rootless', 'ignored')
    .action((o: { bundle: string }) => writeSpec(o.bundle));
  program
    .command('features')
    .description('what this runtime supports (JSON)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(features(), null, '    ')}\n`);
    });
  return program;
}
