import { join } from 'node:path';
import { Command } from 'commander';
import { emitNetworkEvent } from '../../events/object-events.js';
import { ConflictError, NotImplementedError } from '@koker/core';
import { collect, contextOf } from '../../command-context.js';
import { userNetworksOf } from '../../networks/user-networks.js';
import { type CliContext } from '../../context.js';

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

export function networkConnectCommand(): Command {
  return new Command('connect')
    .description('Connect a running container to a network')
    .argument('<network>', 'network name or ID')
    .argument('<container>', 'container name or ID')
    .option('--alias <alias>', 'another name of the container on the network (repeatable)', collect, [])
    .option('--ip <address>', 'IPv4 address on the network')
    .action(
      async (
        network: string,
        container: string,
        flags: { alias: string[]; ip?: string },
        command: Command,
      ) => {
        const context = contextOf(command);
        context.requireRoot('network connect');
        const networks = await userNetworksOf(context);
        if (!networks.connect) throw new NotImplementedError('network connect with this network driver');
        const { id, record } = await runningContainer(context, container);
        await networks.connect(network, id, {
          netnsPath: `/proc/${record.pid}/ns/net`,
          name: record.name,
          hostname: record.hostname,
          aliases: flags.alias,
          ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
          hostsFile: join(context.state.directory(id), 'hosts'),
        });
        const joined = await networks.find(network);
        emitNetworkEvent(context, 'connect', { ...joined, container: id });
      },
    );
}

export function networkDisconnectCommand(): Command {
  return new Command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>', 'network name or ID')
    .argument('<container>', 'container name or ID')
    .option('-f, --force', 'accepted for Docker compatibility')
    .action(async (network: string, container: string, _flags: unknown, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('network disconnect');
      const networks = await userNetworksOf(context);
      if (!networks.disconnect) throw new NotImplementedError('network disconnect with this network driver');
      const id = await context.state.resolve(container);
      const left = await networks.find(network);
      await networks.disconnect(network, id);
      emitNetworkEvent(context, 'disconnect', { ...left, container: id });
    });
}
