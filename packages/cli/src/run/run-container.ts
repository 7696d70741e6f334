import { closeSync, existsSync, writeFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { type ContainerId, InvalidValueError, Network, Resources, Storage, UsageError } from '@koker/core';
import {
  NativeLauncher,
  RunOrchestrator,
  healthcheckConfig,
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
import { withJoinedContainer } from './join-container-network.js';
import { parsePublishFlags } from './ports-from-flags.js';
import { parseRunPlatform, resolveRunImage, type PullPolicy } from './run-image.js';
import { parseAttach, parseBooleanFlag } from './run-option-flags.js';
import { containerRefs, runRequestFromFlags, type RunFlags } from './run-request.js';

export interface RunCommandFlags extends RunFlags {
  readonly pull?: PullPolicy;
  readonly platform?: string;
  readonly cidfile?: string;
  readonly attach?: readonly string[];
  readonly sigProxy?: string | boolean;
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
  const containers = new Map<string, ContainerId>();
  for (const ref of containerRefs(flags)) containers.set(ref, await context.state.resolve(ref));
  const request: RunRequest = await withJoinedContainer(
    context,
    runRequestFromFlags(image, args, flags, {
      hostEnv: process.env,
      readFile: (path, what) => readInputFile(path, { what }),
      parsePorts: (values) => parsePublishFlags(values),
      containers,
    }),
  );
  // Checked with the other flags, before anything is pulled or made.
  if (flags.platform !== undefined) parseRunPlatform(flags.platform);
  const attach = parseAttach(flags.attach ?? []);
  const sigProxy = parseBooleanFlag('--sig-proxy', flags.sigProxy, true);
  if (flags.detach && attach.length > 0)
    throw new UsageError('conflicting options: -a and -d', {
      hint: 'a detached container is attached to nothing',
    });
  if (flags.detach && !sigProxy)
    throw new UsageError('conflicting options: --sig-proxy=false and -d', { hint: 'drop --sig-proxy' });
  // Docker refuses an existing file, before anything is made.
  if (flags.cidfile !== undefined && existsSync(flags.cidfile))
    throw new InvalidValueError('--cidfile', flags.cidfile, 'the file exists already', {
      hint: 'remove it, or give another path',
    });
  const onCreated = flags.cidfile === undefined ? undefined : cidfileWriter(flags.cidfile);
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
  if (flags.detach) return runDetached(context, orchestrator, request, runImage, onCreated);
  const outcome = await orchestrator.run(request, runImage, {
    ...(onCreated ? { onCreated } : {}),
    ...(attach.length > 0 && !request.process.tty
      ? { stdio: attachedStdio(attach, request.process.interactive) }
      : {}),
    sigProxy,
  });
  // Attached, as with Docker: koker returns the container's code, and its policy restarts it in
  // the background (under a monitor from then on).
  if (request.restartPolicy) {
    const { restartInBackground } = await import('../containers/restart-manager.js');
    restartInBackground(context, await context.state.get(outcome.id));
  }
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
  onCreated: ((id: ContainerId) => void) | undefined,
): Promise<number> {
  const tty = request.process.tty;
  const opened: number[] = [];
  try {
    const outcome = await orchestrator.run(
      { ...request, process: { ...request.process, tty: false } },
      image,
      {
        ...(onCreated ? { onCreated } : {}),
        detach: (id) => {
          const stdio = monitorStdio(context, id);
          opened.push(stdio[2]);
          return {
            wrapper: monitorWrapper(context, id, {
              tty,
              stdin: request.process.interactive,
              healthcheck:
                healthcheckConfig(image.record.config.Healthcheck, request.health ?? {}) !== undefined,
            }),
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

/** `-a`: the streams given are koker's; the others go nowhere (stdin only with -i, as Docker). */
function attachedStdio(
  streams: readonly ('stdin' | 'stdout' | 'stderr')[],
  interactive: boolean,
): ['inherit' | 'null', 'inherit' | 'null', 'inherit' | 'null'] {
  const has = (stream: 'stdin' | 'stdout' | 'stderr') => (streams.includes(stream) ? 'inherit' : 'null');
  return [interactive ? has('stdin') : 'null', has('stdout'), has('stderr')];
}
