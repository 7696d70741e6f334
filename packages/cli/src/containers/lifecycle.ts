import { ContainerLifecycle, type TeardownDrivers } from '@koker/engine';
import { Network, Resources, Storage } from '@koker/core';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';
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
 * (`container cleanup`, `system boot`). Whichever process records a container's end journals
 * its `die` (and `destroy` for `--rm`).
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
    onEnd: {
      died: (record, exitCode) =>
        emitContainerEvent(ctx, record, 'die', { attributes: { exitCode: String(exitCode) } }),
      removed: (record) => emitContainerEvent(ctx, record, 'destroy'),
    },
    ...(options.appliesRestarts
      ? {}
      : {
          onKeeperLost: (record) => restartInBackground(ctx, record),
        }),
  });
}
