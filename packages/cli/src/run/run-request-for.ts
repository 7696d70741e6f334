import { type ContainerId, Network, Resources, Storage } from '@koker/core';
import { NativeLauncher, RunOrchestrator, type RunRequest } from '@koker/engine';
import { nativeHelperPath, readInputFile } from '@koker/host';
import { type CliContext } from '../context.js';
import { withJoinedContainer } from './join-container-network.js';
import { parsePublishFlags } from './ports-from-flags.js';
import { containerRefs, runRequestFromFlags, type RunFlags } from './run-request.js';

/** `run`'s flags (from the command line, or translated from the API's create) to a RunRequest. */
export async function runRequestFor(
  context: CliContext,
  image: string,
  args: readonly string[],
  flags: RunFlags,
): Promise<RunRequest> {
  const containers = new Map<string, ContainerId>();
  for (const ref of containerRefs(flags)) containers.set(ref, await context.state.resolve(ref));
  return withJoinedContainer(
    context,
    runRequestFromFlags(image, args, flags, {
      hostEnv: process.env,
      readFile: (path, what) => readInputFile(path, { what }),
      parsePorts: (values) => parsePublishFlags(values),
      containers,
    }),
  );
}

/** The run orchestrator over this context's drivers, launcher and store. */
export async function runOrchestrator(context: CliContext): Promise<RunOrchestrator> {
  const [storage, resources, network] = await Promise.all([
    context.driver(Storage),
    context.driver(Resources),
    context.driver(Network),
  ]);
  const launcher = new NativeLauncher(nativeHelperPath(context.config.nativeHelper), context.log);
  return new RunOrchestrator(
    { storage, resources, network, launcher, state: context.state, volumes: context.volumeDrivers() },
    context.log,
  );
}
