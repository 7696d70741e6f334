import { findJoinedContainer, type RunRequest } from '@koker/engine';
import { type CliContext } from '../context.js';

/**
 * `--network container:NAME`: the running container's network namespace (through its PID), its
 * /etc/hosts and resolv.conf, and its hostname unless one was given (as Docker).
 */
export async function withJoinedContainer(context: CliContext, request: RunRequest): Promise<RunRequest> {
  const name = request.network.container;
  if (request.network.mode !== 'container' || name === undefined) return request;
  const joined = await findJoinedContainer(context.state, name, context.log);
  return {
    ...request,
    hostname: request.hostname ?? joined.hostname,
    network: { ...request.network, joinContainer: joined.joinContainer },
  };
}
