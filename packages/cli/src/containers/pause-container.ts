import { ConflictError, Resources } from '@koker/core';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';
import { runningContainer } from './running-container.js';

/** Freezes every process of a running container (the cgroup freezer); `pause` and the API. */
export async function pauseContainer(ctx: CliContext, container: string): Promise<void> {
  const resources = await ctx.driver(Resources);
  const record = await runningContainer(ctx, container);
  if (await resources.paused(record.id)) throw new ConflictError(`container ${record.id} is already paused`);
  await resources.pause(record.id);
  await emitContainerEvent(ctx, record, 'pause');
}

/** Thaws what `pauseContainer` froze; `unpause` and the API. */
export async function unpauseContainer(ctx: CliContext, container: string): Promise<void> {
  const resources = await ctx.driver(Resources);
  const record = await runningContainer(ctx, container);
  if (!(await resources.paused(record.id))) throw new ConflictError(`container ${record.id} is not paused`);
  await resources.resume(record.id);
  await emitContainerEvent(ctx, record, 'unpause');
}
