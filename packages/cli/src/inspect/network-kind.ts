import { NotFoundError, NotImplementedError } from '@koker/core';
import { networkDocument } from '../commands/network/inspect.js';
import { type CliContext } from '../context.js';
import { findPredefined, listedUserNetwork, predefinedNetworks } from '../networks/predefined-networks.js';
import { userNetworksOf } from '../networks/user-networks.js';

/** A network by name or ID (the built-in ones too), as `network inspect` shows it. */
export async function findNetworkDocument(ctx: CliContext, name: string): Promise<unknown> {
  const predefined = findPredefined(await predefinedNetworks(ctx), name);
  if (predefined) return networkDocument(ctx, predefined);
  try {
    return await networkDocument(ctx, listedUserNetwork(await (await userNetworksOf(ctx)).find(name)));
  } catch (error) {
    // Not found, or a network driver without user networks: no network of that name.
    if (error instanceof NotFoundError || error instanceof NotImplementedError) return undefined;
    throw error;
  }
}
