import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { Network, Resources, Storage, UsageError } from '@koker/core';
import {
  NativeLauncher,
  RunOrchestrator,
  settleStaleContainers,
  type RunImage,
  type RunRequest,
} from '@koker/engine';
import { OOM_EXIT_CODE, describeOom } from '@koker/cgroups';
import { nativeHelperPath, readInputFile } from '@koker/host';
import { emitContainerEvent } from '../containers/container-events.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { monitorStdio, monitorWrapper } from '../containers/monitor.js';
import { type CliContext } from '../context.js';
import { parsePublishFlags } from './ports-from-flags.js';
import { resolveRunImage, type PullPolicy } from './run-image.js';
import { runRequestFromFlags, type RunFlags } from './run-request.js';

export interface RunCommandFlags extends RunFlags {
  readonly pull?: PullPolicy;
  readonly platform?: string;
}

/**
 * `koker run`, attached: flags -> RunRequest -> the image (pulled if missing) -> the orchestrator
 * (rootfs, cgroups, network, launch, wait, teardown). Resolves to koker's exit code.
 */
export async function runContainer(
  context: CliContext,
  image: string,
  args: readonly string[],
  flags: RunCommandFlags,
): Promise<number> {
  const request: RunRequest = runRequestFromFlags(image, args, flags, {
    hostEnv: process.env,
    readFile: (path, what) => readInputFile(path, { what }),
    parsePorts: (values) => parsePublishFlags(values),
  });
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
    { storage, resources, network, launcher, state: context.state, volumes: context.volumeDrivers() },
    context.log,
  );
  // A run killed during setup left its netns, ports, address and cgroups: released first.
  await settleStaleContainers(context.state, lifecycleOf(context), context.log);
  if (flags.detach) return runDetached(context, orchestrator, request, runImage);
  const outcome = await orchestrator.run(request, runImage);
  if (outcome.oomKilled) {
    process.stderr.write(`koker: ${describeOom(request.limits)}\n`);
    return OOM_EXIT_CODE;
  }
  return outcome.exitCode;
}

/**
 * `run -d`: the container's launcher starts under koker-monitor, which holds its stdio, writes
 * its log, waits on it and runs `koker container cleanup` when it ends. Prints the ID.
 * With -t the monitor's pseudo-terminal is the container's stdio: the launcher opens none, since
 * there is nobody to proxy one for once koker returns.
 */
async function runDetached(
  context: CliContext,
  orchestrator: RunOrchestrator,
  request: RunRequest,
  image: RunImage,
): Promise<number> {
  const tty = request.process.tty;
  const opened: number[] = [];
  try {
    const outcome = await orchestrator.run(
      { ...request, process: { ...request.process, tty: false } },
      image,
      {
        detach: (id) => {
          const stdio = monitorStdio(context, id);
          opened.push(stdio[2]);
          return {
            wrapper: monitorWrapper(context, id, { tty, stdin: request.process.interactive }),
            stdio,
          };
        },
      },
    );
    // The monitor's terminal is the container's: recorded for inspect and for `start`.
    if (tty) await context.state.update(outcome.id, (record) => ({ ...record, tty: true }));
    const record = await context.state.get(outcome.id);
    await emitContainerEvent(context, record, 'create', { at: record.created });
    await emitContainerEvent(context, record, 'start', record.started ? { at: record.started } : {});
    process.stdout.write(`${outcome.id}\n`);
    return 0;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
