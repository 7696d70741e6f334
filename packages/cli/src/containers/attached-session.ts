import { setTimeout as sleep } from 'node:timers/promises';
import { type ContainerId } from '@koker/core';
import { describeOom, OOM_EXIT_CODE } from '@koker/cgroups';
import { type CliContext } from '../context.js';
import { connectAttach, runAttached, type AttachOptions } from './attach-client.js';
import { lifecycleOf } from './lifecycle.js';

/** How long the monitor may take, after telling the exit, to hand over to its cleanup. */
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
): Promise<number> {
  const socket = await connectAttach(ctx.state.directory(id));
  const end = await runAttached(socket, options);
  if (end.kind === 'detached') return 0;
  // The monitor releases the keeper lock when it execs the cleanup; the container lock then
  // orders our settle and the cleanup's: whichever comes second finds it settled.
  const deadline = Date.now() + HANDOVER_MS;
  while (ctx.state.isKept(id) && Date.now() < deadline) await sleep(10);
  const record = await lifecycleOf(ctx).settle(id);
  if (record?.oomKilled) {
    process.stderr.write(`koker: ${describeOom(record.limits)}\n`);
    return OOM_EXIT_CODE;
  }
  if (end.kind === 'exited') return end.code;
  return record?.exitCode ?? 255;
}
