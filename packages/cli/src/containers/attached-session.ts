import { type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ContainerId, type ContainerRecord, traced, tracer } from '@koker/core';
import { describeOom, OOM_EXIT_CODE } from '@koker/cgroups';
import { type CliContext } from '../context.js';
import { connectAttach, runAttached, type AttachOptions } from './attach-client.js';
import { settleReported, type ReportedSettlement } from './settle-reported.js';

/** How long the monitor may take, after we closed (or it went away), to let go of the container. */
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
  // The monitor sends the exit once its exit record is written, then holds the keeper lock until
  // we close. So the container is settled here, under the container lock, while the monitor
  // waits. Then we tell the monitor it is settled: it lets go, removes the files of an --rm
  // container (moved aside here in one rename) and ends, with no cleanup process of its own
  // (a Node start) unless the container has a restart to apply. If koker dies here, the lock
  // goes too, the monitor sees the close and its cleanup settles the container.
  const teardown = tracer().begin('teardown');
  const lock = await ctx.state.lockContainer(id);
  let settled: ReportedSettlement['settled'];
  try {
    // The monitor went away without reporting the exit: its keeper lock tells when it is gone.
    if (end.kind === 'lost') await handedBack(ctx, id);
    let oomKilled: ContainerRecord | undefined;
    const settlement = await settleReported(ctx, id, {
      exitReported: end.kind === 'exited',
      onOomKill: (killed) => (oomKilled = killed),
    });
    const { record } = settlement;
    settled = settlement.settled;
    const killed = oomKilled ?? (record?.oomKilled ? record : undefined);
    if (killed) {
      process.stderr.write(`koker: ${describeOom(killed.limits ?? {})}\n`);
      return OOM_EXIT_CODE;
    }
    if (end.kind === 'exited') return end.code;
    return record?.exitCode ?? 255;
  } finally {
    lock.release();
    if (end.kind === 'exited') {
      end.close(settled);
      // Returned once the monitor let go: as before, a command run next never finds the
      // container kept by a monitor that is only saying goodbye.
      await handedBack(ctx, id);
    }
    teardown.end();
  }
}

/** Waits (at most HANDOVER_MS) until the container's monitor no longer holds its keeper lock. */
async function handedBack(ctx: CliContext, id: ContainerId): Promise<void> {
  await traced('monitor lets go', async () => {
    const deadline = Date.now() + HANDOVER_MS;
    while (ctx.state.isKept(id) && Date.now() < deadline) await sleep(5);
  });
}
