import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '@koker/core';
import { type RunRequest } from '@koker/engine';
import { type CliContext } from '../context.js';

/**
 * `--network container:NAME`: the running container's network namespace (through its PID), its
 * /etc/hosts and resolv.conf, and its hostname unless one was given (as Docker).
 */
export async function withJoinedContainer(context: CliContext, request: RunRequest): Promise<RunRequest> {
  const name = request.network.container;
  if (request.network.mode !== 'container' || name === undefined) return request;
  const id = await context.state.resolve(name);
  const record = await context.state.get(id);
  if (record.status !== 'running' || record.pid === undefined)
    throw new ConflictError(`cannot join network of a non running container: ${name}`);
  const directory = context.state.directory(id);
  const [hosts, resolvConf] = await Promise.all([
    readFile(join(directory, 'hosts'), 'utf8'),
    readFile(join(directory, 'resolv.conf'), 'utf8'),
  ]);
  context.log.debug({ container: id.slice(0, 12), pid: record.pid }, 'Join the network of a container');
  return {
    ...request,
    hostname: request.hostname ?? record.hostname,
    network: {
      ...request.network,
      joinContainer: {
        netnsPath: `/proc/${record.pid}/ns/net`,
        hostsEntries: hosts.split('\n').filter((line) => line !== ''),
        resolvConf,
      },
    },
  };
}
