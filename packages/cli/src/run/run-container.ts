import { readFileSync, closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { Network, Resources, Storage, UsageError, type ContainerId } from '@koker/core';
import {
  NativeLauncher,
  RunOrchestrator,
  parseLogConfig,
  writeLogConfig,
  type LogConfig,
  type RunImage,
  type RunRequest,
} from '@koker/engine';
import { nativeHelperPath } from '@koker/host';
import { type Socket } from 'node:net';
import { connectAttach, connectAttachWhenReady } from '../containers/attach-client.js';
import { attachUntilEnd } from '../containers/attached-session.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../containers/detach-keys.js';
import { monitorStdio, monitorWrapper, terminalSize } from '../containers/monitor.js';
import { type CliContext } from '../context.js';
import { parsePublishFlags } from './ports-from-flags.js';
import { resolveRunImage, type PullPolicy } from './run-image.js';
import { runRequestFromFlags, type RunFlags } from './run-request.js';

export interface RunCommandFlags extends RunFlags {
  readonly pull?: PullPolicy;
  readonly platform?: string;
  readonly logDriver?: string;
  readonly logOpt?: readonly string[];
  readonly detachKeys?: string;
  readonly sigProxy?: boolean;
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
  const request: RunRequest = runRequestFromFlags(image, args, flags, {
    hostEnv: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    parsePorts: (values) => parsePublishFlags(values),
  });
  const log = parseLogConfig(flags.logDriver, flags.logOpt ?? []);
  const detachKeys = parseDetachKeys(flags.detachKeys ?? DEFAULT_DETACH_KEYS);
  // Detached, nothing of koker's terminal is used: Docker's `run -dit` works from a script.
  if (request.process.tty && request.process.interactive && !flags.detach && !isatty(0))
    throw new UsageError('the input device is not a TTY', { hint: 'drop -t, or run koker from a terminal' });
  const runImage: RunImage = await resolveRunImage(context, image, {
    pull: flags.pull ?? 'missing',
    ...(flags.platform ? { platform: flags.platform } : {}),
  });
  const [storage, resources, network] = await Promise.all([
    context.driver(Storage),
    context.driver(Resources),
    context.driver(Network),
  ]);
  const launcher = new NativeLauncher(nativeHelperPath(context.config.nativeHelper), context.log);
  const orchestrator = new RunOrchestrator(
    { storage, resources, network, launcher, state: context.state },
    context.log,
  );
  const { id, attached } = await startUnderMonitor(
    context,
    orchestrator,
    request,
    runImage,
    log,
    !flags.detach,
  );
  if (flags.detach) {
    process.stdout.write(`${id}\n`);
    return 0;
  }
  return attachUntilEnd(
    context,
    id,
    {
      stdin: request.process.interactive,
      tty: request.process.tty,
      detachKeys,
      sigProxy: flags.sigProxy ?? true,
    },
    await (attached ?? connectAttach(context.state.directory(id))),
  );
}

/**
 * The container's launcher starts under koker-monitor, which holds its stdio, writes its log,
 * serves its attach socket, waits on it and runs `koker container cleanup` when it ends. With
 * -t the container's terminal is koker-init's (in the container's devpts), carried by the
 * monitor's pseudo-terminal.
 */
async function startUnderMonitor(
  context: CliContext,
  orchestrator: RunOrchestrator,
  request: RunRequest,
  image: RunImage,
  log: LogConfig,
  attachNow: boolean,
): Promise<{ id: ContainerId; attached?: Promise<Socket> }> {
  const tty = request.process.tty;
  const opened: number[] = [];
  let attached: Promise<Socket> | undefined;
  try {
    const size = attachNow ? terminalSize() : undefined;
    const outcome = await orchestrator.run(request, image, {
      detach: (id) => {
        writeLogConfig(context.state.directory(id), log);
        if (attachNow) {
          attached = connectAttachWhenReady(context.state.directory(id));
          attached.catch(() => undefined); // a failed start reports its own error
        }
        const stdio = monitorStdio(context, id);
        opened.push(stdio[2]);
        return {
          wrapper: monitorWrapper(context, id, {
            tty,
            terminalInside: tty,
            ...(size ? { size } : {}),
            stdin: request.process.interactive,
            stdinOnce: attachNow && request.process.interactive,
            log,
            attachNow,
          }),
          stdio,
        };
      },
    });
    return { id: outcome.id, ...(attached ? { attached } : {}) };
  } catch (error) {
    void attached?.then(
      (socket) => socket.destroy(),
      () => undefined,
    );
    throw error;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
