import {
  ConflictError,
  Resources,
  type ContainerRecord,
  type ResourceLimits,
  type RestartPolicy,
} from '@koker/core';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';
import { lifecycleOf } from './lifecycle.js';

export interface ContainerUpdate {
  readonly limits: ResourceLimits;
  readonly restartPolicy?: RestartPolicy | undefined;
}

/**
 * New limits and restart policy for one container (`koker update`, the API's update): a running
 * container's cgroups change at once; the record keeps both for its next start.
 */
export async function updateContainer(
  ctx: CliContext,
  container: string,
  update: ContainerUpdate,
): Promise<void> {
  const { limits, restartPolicy: policy } = update;
  const record = await ctx.state.find(container);
  // Docker's rule: a --rm container is never restarted, so its policy stays `no`.
  if (policy && policy.name !== 'no' && record.autoRemove)
    throw new ConflictError(
      'Restart policy cannot be updated because AutoRemove is enabled for the container',
      {
        hint: 'a --rm container is removed when it ends; run it without --rm to restart it',
      },
    );
  if (Object.keys(limits).length > 0 && (await lifecycleOf(ctx).observe(record)).running)
    await (await ctx.driver(Resources)).update(record.id, limits);
  const updated = await ctx.state.update(record.id, (r) => ({
    ...withPolicy(r, policy),
    limits: { ...r.limits, ...limits },
    ...(r.spec ? { spec: { ...r.spec, limits: { ...r.spec.limits, ...limits } } } : {}),
  }));
  await emitContainerEvent(ctx, updated, 'update');
}

/** The record with its new restart policy (`no` is kept as none, as `run` keeps it). */
function withPolicy(record: ContainerRecord, policy: RestartPolicy | undefined): ContainerRecord {
  if (!policy) return record;
  const { restartPolicy: _old, ...rest } = record;
  return policy.name === 'no'
    ? rest
    : { ...rest, restartPolicy: policy, restartCount: record.restartCount ?? 0 };
}
