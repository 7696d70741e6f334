import { ContainerLifecycle, type TeardownDrivers } from '@koker/engine';
import { Network, Resources, Storage } from '@koker/core';
import { type CliContext } from '../context.js';

/** The drivers a teardown needs, resolved once per invocation and only when one is needed. */
export function teardownDrivers(ctx: CliContext): () => Promise<TeardownDrivers> {
  let drivers: Promise<TeardownDrivers> | undefined;
  return () =>
    (drivers ??= (async () => ({
      network: await ctx.driver(Network),
      storage: await ctx.driver(Storage),
      resources: await ctx.driver(Resources),
    }))());
}

/** The lifecycle of containers, composed for this invocation. */
export function lifecycleOf(ctx: CliContext): ContainerLifecycle {
  return new ContainerLifecycle({
    store: ctx.state,
    drivers: teardownDrivers(ctx),
    log: ctx.log,
    volumes: async () => ctx.volumeDrivers(),
  });
}
