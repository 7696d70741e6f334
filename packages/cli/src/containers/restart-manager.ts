import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, shortContainerId, type ContainerId, type ContainerRecord } from '@koker/core';
import { restartDecision, type ContainerLifecycle } from '@koker/engine';
import { type CliContext } from '../context.js';
import { cleanupArgv } from './monitor.js';
import { startDetached } from './start-detached.js';

/** How often the back-off looks whether `stop` (or `rm`) called the restart off. */
const BACKOFF_POLL_MS = 50;

/**
 * The restart policy, applied by `koker container cleanup` once the container is settled (ADR
 * 0013): decide, wait the back-off (ended early by `stop`, `kill` or `rm`), then start the
 * container again under a new monitor, RestartCount + 1. Resolves when it is started or the
 * policy said no.
 */
export async function applyRestartPolicy(
  ctx: CliContext,
  id: ContainerId,
  lifecycle: ContainerLifecycle,
): Promise<ContainerRecord | undefined> {
  const record = await current(ctx, id);
  if (!record) return undefined;
  const decision = restartDecision(record);
  if (!decision.restart) return undefined;
  const container = shortContainerId(id);
  await ctx.state.update(id, (r) => ({ ...r, restarting: true, restartDelayMs: decision.delayMs }));
  ctx.log.info(
    { container, delay: decision.delayMs, restarts: record.restartCount ?? 0 },
    'Restart container after back-off',
  );
  const deadline = Date.now() + decision.delayMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(BACKOFF_POLL_MS, deadline - Date.now()));
    const now = await current(ctx, id);
    if (!stillRestarting(now)) return undefined;
  }
  try {
    return (await startDetached(ctx, id, lifecycle, { onlyIf: stillRestarting, restart: true })).record;
  } catch (error) {
    // The next end (or `system boot`) tries again; the reason stays in the record.
    await ctx.state
      .update(id, (r) => {
        const { restarting: _restarting, ...rest } = r;
        return rest;
      })
      .catch(() => undefined);
    throw error;
  }
}

function stillRestarting(record: ContainerRecord | undefined): record is ContainerRecord {
  return record !== undefined && record.restarting === true && record.manuallyStopped !== true;
}

async function current(ctx: CliContext, id: ContainerId): Promise<ContainerRecord | undefined> {
  try {
    return await ctx.state.get(id);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * A container whose monitor died (`kill -9`) has nobody to apply its policy: the command that
 * settled it hands that to a `koker container cleanup` of its own, in the background, as the
 * monitor would have run it (its output to monitor.log).
 */
export function restartInBackground(ctx: CliContext, record: ContainerRecord): void {
  if (!restartDecision(record).restart) return;
  const [command = process.execPath, ...args] = cleanupArgv(ctx, record.id);
  const log = openSync(join(ctx.state.directory(record.id), 'monitor.log'), 'a', 0o600);
  try {
    spawn(command, args, { detached: true, stdio: ['ignore', log, log] }).unref();
  } finally {
    closeSync(log);
  }
  ctx.log.debug({ container: shortContainerId(record.id) }, 'Hand the restart policy to a cleanup');
}
