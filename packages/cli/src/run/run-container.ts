import { existsSync, writeFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { type ContainerId, InvalidValueError, UsageError, traced } from '@koker/core';
import {
  parseLogConfig,
  settleStaleContainers,
  writeLogConfig,
  type LogConfig,
  type RunImage,
  type RunOrchestrator,
  type RunRequest,
} from '@koker/engine';
import { PROXIED, connectAttach, type AttachedStreams } from '../containers/attach-client.js';
import { attachUntilEnd } from '../containers/attached-session.js';
import { emitContainerEvent } from '../containers/container-events.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../containers/detach-keys.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { terminalSize } from '../containers/monitor.js';
import { type CliContext } from '../context.js';
import { HeldSignals } from './held-signals.js';
import { parseRunPlatform, resolveRunImage, type PullPolicy } from './run-image.js';
import { parseAttach, parseBooleanFlag } from './run-option-flags.js';
import { type RunFlags } from './run-request.js';
import { runOrchestrator, runRequestFor } from './run-request-for.js';
import { startUnderMonitor } from './start-under-monitor.js';

export interface RunCommandFlags extends RunFlags {
  readonly pull?: PullPolicy;
  readonly platform?: string;
  readonly logDriver?: string;
  readonly logOpt?: readonly string[];
  readonly detachKeys?: string;
  readonly cidfile?: string;
  readonly attach?: readonly string[];
  readonly sigProxy?: string | boolean;
  /** `--trace FILE`: the steps' trace (src/trace/). */
  readonly trace?: string;
}

/**
 * `koker run`: flags -> RunRequest -> the image (pulled if missing) -> the orchestrator (rootfs,
 * cgroups, network, launch) -> the container under its monitor. With `-d` koker prints the ID;
 * else it attaches through the monitor's socket, as `docker run` does, until the container ends
 * (its output is in `koker logs` either way). Resolves to koker's exit code.
 */
export async function runContainer(
  context: CliContext,
  image: string,
  args: readonly string[],
  flags: RunCommandFlags,
): Promise<number> {
  const detachKeys = parseDetachKeys(flags.detachKeys ?? DEFAULT_DETACH_KEYS);
  const attach = parseAttach(flags.attach ?? []);
  const sigProxy = parseBooleanFlag('--sig-proxy', flags.sigProxy, true);
  if (flags.detach && attach.length > 0)
    throw new UsageError('conflicting options: -a and -d', {
      hint: 'a detached container is attached to nothing',
    });
  if (flags.detach && !sigProxy)
    throw new UsageError('conflicting options: --sig-proxy=false and -d', { hint: 'drop --sig-proxy' });
  const { request, log, runImage, orchestrator, onCreated } = await containerPlan(
    context,
    image,
    args,
    flags,
    () => {
      // Detached, nothing of koker's terminal is used: Docker's `run -dit` works from a script.
      if (flags.tty && flags.interactive && !flags.detach && !isatty(0))
        throw new UsageError('the input device is not a TTY', {
          hint: 'drop -t, or run koker from a terminal',
        });
    },
  );
  const streams = attachedStreams(attach, request.process.tty);
  const held = flags.detach ? undefined : new HeldSignals(PROXIED);
  const started = traced('start under the monitor', () =>
    startUnderMonitor(context, orchestrator, request, runImage, {
      log,
      attachNow: !flags.detach,
      size: flags.detach ? undefined : terminalSize(),
      // -i with `-a` but not stdin: the container's stdin is empty, as with Docker's CLI.
      stdin: request.process.interactive && streams.stdin,
      onCreated,
    }),
  );
  const { id, attached } = await started.catch((error: unknown) => {
    held?.drop();
    throw error;
  });
  // Read now: a --rm container may be gone by the time the events are written.
  const record = await context.state.get(id);
  const events = (): Promise<void> =>
    traced('events', async () => {
      await emitContainerEvent(context, record, 'create', { at: record.created });
      await emitContainerEvent(context, record, 'start', record.started ? { at: record.started } : {});
    });
  if (flags.detach) {
    await events();
    process.stdout.write(`${id}\n`);
    return 0;
  }
  // Attached, as with Docker: koker returns the container's code (or 0 after a detach); the
  // monitor's cleanup applies the restart policy, as for a detached container. The session
  // starts (and takes koker's signals) before the events are written.
  const session = attachUntilEnd(
    context,
    id,
    {
      stdin: request.process.interactive && streams.stdin,
      tty: request.process.tty,
      detachKeys,
      sigProxy,
      output: streams,
    },
    await traced('attach', () => attached ?? connectAttach(context.state.directory(id))).catch(
      (error: unknown) => {
        held?.drop();
        throw error;
      },
    ),
  );
  held?.replay();
  const [code] = await Promise.all([session, events()]);
  return code;
}

/** What `run` and `create` decide before anything is made: the request, the image, the drivers. */
async function containerPlan(
  context: CliContext,
  image: string,
  args: readonly string[],
  flags: RunCommandFlags,
  check: () => void = () => undefined,
): Promise<{
  request: RunRequest;
  log: LogConfig;
  runImage: RunImage;
  orchestrator: RunOrchestrator;
  onCreated: ((id: ContainerId) => void) | undefined;
}> {
  const request = await traced('read the flags', () => runRequestFor(context, image, args, flags));
  // Checked with the other flags, before anything is pulled or made.
  if (flags.platform !== undefined) parseRunPlatform(flags.platform);
  const log = parseLogConfig(flags.logDriver, flags.logOpt ?? []);
  parseAttach(flags.attach ?? []);
  // Docker refuses an existing file, before anything is made.
  if (flags.cidfile !== undefined && existsSync(flags.cidfile))
    throw new InvalidValueError('--cidfile', flags.cidfile, 'the file exists already', {
      hint: 'remove it, or give another path',
    });
  const onCreated = flags.cidfile === undefined ? undefined : cidfileWriter(flags.cidfile);
  check();
  const runImage: RunImage = await traced('image lookup', () =>
    resolveRunImage(context, image, {
      pull: flags.pull ?? 'missing',
      ...(flags.platform ? { platform: flags.platform } : {}),
    }),
  );
  const orchestrator = await traced('drivers', () => runOrchestrator(context));
  // A run killed during setup left its netns, ports, address and cgroups: released first.
  await traced('settle stale containers', () =>
    settleStaleContainers(context.state, lifecycleOf(context), context.log),
  );
  return { request, log, runImage, orchestrator, onCreated };
}

/**
 * `koker create`: the container recorded as `run` would make it (image pulled if missing, its
 * volumes made, its log driver kept), `Created`, for `koker start` to run later under its
 * monitor. Prints its ID.
 */
export async function createContainer(
  context: CliContext,
  image: string,
  args: readonly string[],
  flags: RunCommandFlags,
): Promise<number> {
  const id = await createRecordedContainer(context, image, args, flags);
  process.stdout.write(`${id}\n`);
  return 0;
}

/** What `koker create` and the API's create do: the container recorded `Created`, its event written. */
export async function createRecordedContainer(
  context: CliContext,
  image: string,
  args: readonly string[],
  flags: RunCommandFlags,
): Promise<ContainerId> {
  const { request, log, runImage, orchestrator, onCreated } = await containerPlan(
    context,
    image,
    args,
    flags,
  );
  const id = await orchestrator.create(request, runImage, onCreated ? { onCreated } : {});
  writeLogConfig(context.state.directory(id), log);
  const record = await context.state.get(id);
  await emitContainerEvent(context, record, 'create', { at: record.created });
  return id;
}

/** `--cidfile`: the full ID, written once the container exists (exclusive: a file made since is not overwritten). */
function cidfileWriter(path: string): (id: ContainerId) => void {
  return (id) => {
    try {
      writeFileSync(path, id, { flag: 'wx', mode: 0o644 });
    } catch (error) {
      throw new InvalidValueError('--cidfile', path, (error as Error).message);
    }
  };
}

/**
 * `-a`: the streams given are koker's; the others go nowhere (stdin only with -i, as Docker).
 * Without -a, all of them; with -t the terminal is one stream, all of it koker's.
 */
function attachedStreams(
  streams: readonly ('stdin' | 'stdout' | 'stderr')[],
  tty: boolean,
): AttachedStreams & { readonly stdin: boolean } {
  if (streams.length === 0 || tty) return { stdin: true, stdout: true, stderr: true };
  return {
    stdin: streams.includes('stdin'),
    stdout: streams.includes('stdout'),
    stderr: streams.includes('stderr'),
  };
}
