import { ConflictError, Resources, type ContainerId, type ContainerRecord } from '@koker/core';
import { type CliContext } from '../context.js';
import { lifecycleOf } from './lifecycle.js';

/** The record of a container that runs now; ConflictError (Docker's wording) when it does not. */
export async function runningContainer(ctx: CliContext, name: string): Promise<ContainerRecord> {
  const record = await ctx.state.find(name);
  const seen = await lifecycleOf(ctx).observe(record);
  if (!seen.running) throw new ConflictError(`container ${record.id} is not running`);
  return record;
}

/**
 * Thaws a paused container before it is signalled: frozen processes cannot act on a signal
 * (on cgroup v1 not even SIGKILL), so stop, kill and rm -f would wait for nothing.
 */
export async function thawIfPaused(ctx: CliContext, id: ContainerId): Promise<void> {
  const resources = await ctx.driver(Resources);
  if (await resources.paused(id)) await resources.resume(id);
}

/** The IDs of the running containers among `records` that are paused. */
export async function pausedAmong(ctx: CliContext, ids: readonly ContainerId[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const resources = await ctx.driver(Resources);
  const paused = new Set<string>();
  for (const id of ids) if (await resources.paused(id)) paused.add(id);
  return paused;
}
