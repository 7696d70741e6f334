import { ConflictError, type ContainerRecord } from '@koker/core';
import { type CliContext } from '../context.js';
import { lifecycleOf } from './lifecycle.js';

/** The record of a container that runs now; ConflictError (Docker's wording) when it does not. */
export async function runningContainer(ctx: CliContext, name: string): Promise<ContainerRecord> {
  const record = await ctx.state.find(name);
  const seen = await lifecycleOf(ctx).observe(record);
  if (!seen.running) throw new ConflictError(`container ${record.id} is not running`);
  return record;
}
