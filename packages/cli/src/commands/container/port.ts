import { Command } from 'commander';
import { InvalidValueError, NotFoundError, type PortMapping, type PortProtocol } from '@koker/core';
import { contextOf } from '../../command-context.js';

/** `80` or `80/udp`: the container port `koker port` is asked about. */
export function parseContainerPort(text: string): { port: number; protocol: PortProtocol } {
  const match = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(text);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535)
    throw new InvalidValueError('container port', text, 'expected PORT or PORT/tcp|udp, e.g. 80/tcp');
  return { port, protocol: (match[2]?.toLowerCase() ?? 'tcp') as PortProtocol };
}

/** Docker's lines: `80/tcp -> 0.0.0.0:18080`, or only `0.0.0.0:18080` when a port is asked. */
export function portLines(
  ports: readonly PortMapping[],
  asked?: { port: number; protocol: PortProtocol },
): string[] {
  if (!asked) return ports.map((p) => `${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}`);
  return ports
    .filter((p) => p.containerPort === asked.port && p.protocol === asked.protocol)
    .map((p) => `${p.hostIp}:${p.hostPort}`);
}

export function portCommand(name = 'port'): Command {
  return new Command(name)
    .description("List a container's published ports")
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('[port]', 'container port, e.g. 80/tcp')
    .action(async (container: string, port: string | undefined, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('port');
      const asked = port === undefined ? undefined : parseContainerPort(port);
      const record = await ctx.state.find(container);
      // A container that is not running publishes nothing (its rules went with its network).
      const lines = record.status === 'running' ? portLines(record.network.ports, asked) : [];
      if (asked && lines.length === 0)
        throw new NotFoundError(
          `no public port '${asked.port}/${asked.protocol}' published for ${container}`,
        );
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    });
}
