import { type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Resources, type ContainerId, traced, tracer } from '@koker/core';
import { describeOom, OOM_EXIT_CODE } from '@koker/cgroups';
import { type CliContext } from '../context.js';
import { connectAttach, runAttached, type AttachOptions } from './attach-client.js';
import { lifecycleOf } from './lifecycle.js';

/** How long the monitor may take, after we closed, to hand over to its cleanup. */
const HANDOVER_MS = 10_000;

/**
 * Attached to a container through its monitor until it ends (or the user detaches), then settled
 * as `run` is: its exit recorded, torn down, removed with `--rm`. Resolves to koker's exit code:
 * the container's, 137 with a message when the kernel killed it for memory, 0 after a detach.
 */
export async function attachUntilEnd(
  ctx: CliContext,
  id: ContainerId,
  options: AttachOptions,
  connected?: Socket,
): Promise<number> {
  const socket = connected ?? (await connectAttach(ctx.state.directory(id)));
  const end = await traced('wait', () => runAttached(socket, options));
  if (end.kind === 'detached') return 0;
  // The monitor waits for us to close before it execs its cleanup: with the container lock
  // taken first, this settle is the one that runs (and sees an OOM kill before --rm removes
  // the container); the cleanup then finds it settled. If koker dies here, the lock goes too.
  const teardown = tracer().begin('teardown');
  const lock = await ctx.state.lockContainer(id);
  try {
    if (end.kind === 'exited') end.close();
    const deadline = Date.now() + HANDOVER_MS;
    while (ctx.state.isKept(id) && Date.now() < deadline) await sleep(5);
    const before = await ctx.state.get(id).catch(() => undefined);
    const oomKilled =
      before?.status === 'running' && (await (await ctx.driver(Resources)).oomKilled(id).catch(() => false));
    const record = await lifecycleOf(ctx).settleLocked(id);
    if (oomKilled || record?.oomKilled) {
      process.stderr.write(`koker: ${describeOom((record ?? before)?.limits ?? {})}\n`);
      return OOM_EXIT_CODE;
    }
    if (end.kind === 'exited') return end.code;
    return record?.exitCode ?? 255;
  } finally {
    lock.release();
    teardown.end();
  }
}
