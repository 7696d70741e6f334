import { Resources, type ResourceLimits } from '@koker/core';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';
import { lifecycleOf } from './lifecycle.js';

/**
 * New limits for one container (`koker update`, the API's update): a running container's cgroups
 * change at once; the record keeps them for its next start.
 */
export async function updateContainerLimits(
  ctx: CliContext,
  container: string,
  limits: ResourceLimits,
): Promise<void> {
  const record = await ctx.state.find(container);
  if ((await lifecycleOf(ctx).observe(record)).running)
    await (await ctx.driver(Resources)).update(record.id, limits);
  const updated = await ctx.state.update(record.id, (r) => ({
    ...r,
    limits: { ...r.limits, ...limits },
    ...(r.spec ? { spec: { ...r.spec, limits: { ...r.spec.limits, ...limits } } } : {}),
  }));
  await emitContainerEvent(ctx, updated, 'update');
}
