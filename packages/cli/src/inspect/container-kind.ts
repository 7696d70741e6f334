import { NotFoundError, Resources } from '@koker/core';
import { inspectDocument } from '../containers/inspect-view.js';
import { lifecycleOf } from '../containers/lifecycle.js';
import { type CliContext } from '../context.js';
import { containerNetworks } from '../networks/container-networks.js';

/** Docker's container inspect document, or undefined when no container has that name. */
export async function findContainerDocument(ctx: CliContext, name: string): Promise<unknown> {
  let id;
  try {
    id = await ctx.state.resolve(name);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  const lifecycle = lifecycleOf(ctx);
  // Touching a container settles it: a crash's leftovers are cleaned before it is shown.
  const record = await lifecycle.settle(id);
  if (!record) return undefined;
  const seen = await lifecycle.observe(record);
  const document = inspectDocument(record, seen, await containerNetworks(ctx, record)) as {
    State?: Record<string, unknown>;
  };
  if (seen.running && document.State && (await (await ctx.driver(Resources)).paused(record.id))) {
    document.State.Paused = true;
    document.State.Status = 'paused';
  }
  return document;
}
