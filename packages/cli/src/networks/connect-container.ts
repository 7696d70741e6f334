import { join } from 'node:path';
import { ConflictError, NotImplementedError } from '@koker/core';
import { type CliContext } from '../context.js';
import { emitNetworkEvent } from '../events/object-events.js';
import { userNetworksOf } from './user-networks.js';

/** The running container, as `connect` and `disconnect` need it. */
async function runningContainer(context: CliContext, name: string) {
  const id = await context.state.resolve(name);
  const record = await context.state.get(id);
  if (record.status !== 'running' || record.pid === undefined)
    throw new ConflictError(`container ${name} is not running`, {
      hint: 'koker connects running containers only',
    });
  if (record.network.mode === 'host' || record.network.mode === 'container')
    throw new ConflictError(
      `container ${name} shares another network namespace (--network ${record.network.mode})`,
    );
  return { id, record };
}

/** Joins a running container to a user network (`network connect`, the API's connect). */
export async function connectContainer(
  context: CliContext,
  network: string,
  container: string,
  options: { readonly aliases: readonly string[]; readonly ip?: string },
): Promise<void> {
  const networks = await userNetworksOf(context);
  if (!networks.connect) throw new NotImplementedError('network connect with this network driver');
  const { id, record } = await runningContainer(context, container);
  await networks.connect(network, id, {
    netnsPath: `/proc/${record.pid}/ns/net`,
    name: record.name,
    hostname: record.hostname,
    aliases: [...options.aliases],
    ...(options.ip !== undefined ? { ip: options.ip } : {}),
    hostsFile: join(context.state.directory(id), 'hosts'),
  });
  const joined = await networks.find(network);
  emitNetworkEvent(context, 'connect', { ...joined, container: id });
}

/** Takes a container off a user network (`network disconnect`, the API's disconnect). */
export async function disconnectContainer(
  context: CliContext,
  network: string,
  container: string,
): Promise<void> {
  const networks = await userNetworksOf(context);
  if (!networks.disconnect) throw new NotImplementedError('network disconnect with this network driver');
  const id = await context.state.resolve(container);
  const left = await networks.find(network);
  await networks.disconnect(network, id);
  emitNetworkEvent(context, 'disconnect', { ...left, container: id });
}
