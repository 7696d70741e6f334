import { isatty } from 'node:tty';
import { NativeLauncher, execInContainer } from '@koker/engine';
import { NotFoundError, Resources, UsageError, exitCodeOfStatus } from '@koker/core';
import { nativeHelperPath, readInputFile } from '@koker/host';
import { lifecycleOf } from '../containers/lifecycle.js';
import { type CliContext } from '../context.js';
import { envFromFlags } from './run-request.js';

export interface ExecFlags {
  readonly detach?: boolean;
  readonly interactive?: boolean;
  readonly tty?: boolean;
  readonly env?: readonly string[];
  /** `--env-file`: read before `-e`, as `run` reads them. */
  readonly envFile?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
}

/** `koker exec`: a command in a running container's namespaces and cgroups; its exit code. */
export async function execContainer(
  context: CliContext,
  container: string,
  args: readonly string[],
  flags: ExecFlags,
): Promise<number> {
  if (flags.tty && flags.interactive && !flags.detach && !isatty(0))
    throw new UsageError('the input device is not a TTY', { hint: 'drop -t, or run koker from a terminal' });
  // Touching a container settles it: a crash's leftovers go, and a dead one says so.
  const record = await lifecycleOf(context).settle(await context.state.resolve(container));
  if (!record) throw new NotFoundError(`no such container: ${container}`);
  const env = envFromFlags(flags, {
    readFile: (path, what) => readInputFile(path, { what }),
    hostEnv: process.env,
  });
  const status = await execInContainer(
    record,
    {
      args,
      env,
      ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
      ...(flags.user !== undefined ? { user: flags.user } : {}),
      tty: flags.tty ?? false,
      interactive: (flags.interactive ?? false) && !flags.detach,
      detach: flags.detach ?? false,
    },
    {
      state: context.state,
      resources: await context.driver(Resources),
      launcher: new NativeLauncher(nativeHelperPath(context.config.nativeHelper), context.log),
    },
    context.log,
  );
  return exitCodeOfStatus(status);
}
