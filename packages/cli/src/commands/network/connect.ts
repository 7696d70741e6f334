import { Command } from 'commander';
import { collect, contextOf } from '../../command-context.js';
import { connectContainer, disconnectContainer } from '../../networks/connect-container.js';

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
        await connectContainer(context, network, container, {
          aliases: flags.alias,
          ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
        });
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
      await disconnectContainer(context, network, container);
    });
}
