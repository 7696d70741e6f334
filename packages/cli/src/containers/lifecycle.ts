import { ContainerLifecycle, type TeardownDrivers } from '@koker/engine';
import { Network, Resources, Storage } from '@koker/core';
import { type CliContext } from '../context.js';
import { restartInBackground } from './restart-manager.js';

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

/**
 * The lifecycle of containers, composed for this invocation. A container found with its monitor
 * dead gets its restart policy from a background cleanup, unless the caller applies it itself
 * (`container cleanup`, `system boot`).
 */
export function lifecycleOf(
  ctx: CliContext,
  options: { appliesRestarts?: boolean } = {},
): ContainerLifecycle {
  return new ContainerLifecycle({
    store: ctx.state,
    drivers: teardownDrivers(ctx),
    log: ctx.log,
    volumes: async () => ctx.volumeDrivers(),
    ...(options.appliesRestarts
      ? {}
      : {
          onKeeperLost: (record) => restartInBackground(ctx, record),
        }),
  });
}
