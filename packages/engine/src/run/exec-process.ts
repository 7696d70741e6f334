import {
  type ExitStatus,
  type Launcher,
  type LaunchOptions,
  type ResourceDriver,
  type ContainerRecord,
  type StateStore,
  shortContainerId,
  ConflictError,
  InvalidValueError,
  UsageError,
  type Logger,
  type ProcessRequest,
} from '@koker/core';
import { DEFAULT_CAPABILITIES } from '../launch/capabilities.js';
import { mergeEnv } from '../launch/environment.js';
import { readFileInProcessRoot } from '../launch/in-root.js';
import { buildExecPlan } from '../launch/launch-plan.js';
import { resolveProcess } from '../launch/process-spec.js';
import { parseGroup, parsePasswd } from '../launch/users.js';
import { SignalGuard } from './signal-guard.js';

/** `koker exec` as the CLI parsed it. */
export interface ExecRequest {
  readonly args: readonly string[];
  /** `-e`, already `KEY=VALUE`. */
  readonly env: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly tty: boolean;
  readonly interactive: boolean;
  /** `-d`: started in the background, its output discarded; koker returns at once. */
  readonly detach?: boolean;
  /** Attached: where its stdio goes (default koker's own). */
  readonly stdio?: LaunchOptions['stdio'];
  /** Attached: SIGKILLs the process when aborted (a health check's timeout). */
  readonly abort?: AbortSignal;
  /**
   * With `tty` and stdio that is no terminal (an API service's FIFOs): the file the pty's size is
   * read from (`ROWS COLUMNS`), at the start and at each resize (SIGWINCH to the launched process).
   */
  readonly terminalSizeFile?: string;
}

export interface ExecDrivers {
  readonly state: StateStore;
  readonly resources: ResourceDriver;
  readonly launcher: Launcher;
}

/**
 * Docker's exec: the container's environment plus `-e`, its user and working directory unless
 * `-u`/`-w` say otherwise, its capabilities and no_new_privs: the same process the container
 * would start, with another command.
 */
export function execProcessRequest(record: ContainerRecord, request: ExecRequest): ProcessRequest {
  if (request.args.length === 0)
    throw new UsageError('exec needs a command', { hint: 'koker exec CONTAINER COMMAND [ARG...]' });
  if (request.workdir !== undefined && !request.workdir.startsWith('/'))
    throw new InvalidValueError('working directory', request.workdir, 'it needs to be an absolute path');
  const spec = record.spec?.process;
  return {
    entrypoint: [],
    command: [...request.args],
    args: [...request.args],
    env: mergeEnv(
      record.env,
      request.tty && !record.env.some((e) => e.startsWith('TERM=')) ? ['TERM=xterm'] : [],
      request.env,
    ),
    cwd: request.workdir ?? record.workingDir ?? '/',
    user: request.user ?? record.user ?? '',
    terminal: request.tty,
    stdin: request.interactive,
    capabilities: spec?.capabilities ?? DEFAULT_CAPABILITIES,
    noNewPrivileges: spec?.noNewPrivileges ?? false,
    // Docker's exec runs under the container's profile.
    seccomp: spec?.seccomp ?? 'default',
    rlimits: spec?.rlimits ?? [],
  };
}

/** Runs a command in every namespace and cgroup of a running container; its status (attached). */
export async function execInContainer(
  record: ContainerRecord,
  request: ExecRequest,
  drivers: ExecDrivers,
  log: Logger,
): Promise<ExitStatus> {
  const container = shortContainerId(record.id);
  if (record.status !== 'running' || record.pid === undefined || !drivers.state.isKept(record.id))
    throw new ConflictError(`container ${record.name} is not running`, {
      hint: 'start it first: koker start',
    });
  const pid = record.pid;
  const wanted = execProcessRequest(record, request);
  const process = resolveProcess(wanted, {
    passwd: parsePasswd(readFileInProcessRoot(pid, '/etc/passwd') ?? ''),
    groups: parseGroup(readFileInProcessRoot(pid, '/etc/group') ?? ''),
  });
  const cgroups = await drivers.resources.placement(record.id);
  const plan = buildExecPlan({ id: record.id, pid, process, cgroups });
  log.info({ container, command: process.args[0] }, 'Execute command');
  if (request.detach) {
    // koker-init stays behind as the process's parent: it reaps it once koker has gone.
    await drivers.launcher.exec(plan, { detached: true, stdio: ['null', 'null', 'null'] });
    return { code: 0 };
  }
  const guard = new SignalGuard();
  const onResize = () => launched?.kill('SIGWINCH');
  let launched: Awaited<ReturnType<Launcher['exec']>> | undefined;
  try {
    launched = await drivers.launcher.exec(plan, {
      ...(request.stdio ? { stdio: request.stdio } : {}),
      ...(request.terminalSizeFile ? { terminalSizeFile: request.terminalSizeFile } : {}),
    });
    guard.forwardTo((signal) => launched?.kill(signal));
    request.abort?.addEventListener('abort', () => launched?.kill('SIGKILL'), { once: true });
    if (request.abort?.aborted) launched.kill('SIGKILL');
    if (process.terminal) globalThis.process.on('SIGWINCH', onResize);
    return await launched.wait();
  } finally {
    globalThis.process.off('SIGWINCH', onResize);
    guard.dispose();
  }
}
