import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, type Logger, type NetworkRequest, type StateStore } from '@koker/core';

/** What a container joining another's network (`--network container:NAME`) takes from it. */
export interface JoinedContainer {
  readonly joinContainer: NonNullable<NetworkRequest['joinContainer']>;
  /** Its hostname, the joiner's unless it gave one. */
  readonly hostname: string;
}

/**
 * The running container whose network namespace is joined: its namespace (through its PID now,
 * so looked up at every run and start: an old PID may be another process), its /etc/hosts and
 * resolv.conf. Docker's `ConflictError` if it is not running.
 */
export async function findJoinedContainer(
  state: StateStore,
  name: string,
  log: Logger,
): Promise<JoinedContainer> {
  const id = await state.resolve(name);
  const record = await state.get(id);
  if (record.status !== 'running' || record.pid === undefined)
    throw new ConflictError(`cannot join network of a non running container: ${name}`);
  const directory = state.directory(id);
  const [hosts, resolvConf] = await Promise.all([
    readFile(join(directory, 'hosts'), 'utf8'),
    readFile(join(directory, 'resolv.conf'), 'utf8'),
  ]);
  log.debug({ container: id.slice(0, 12), pid: record.pid }, 'Join the network of a container');
  return {
    joinContainer: {
      netnsPath: `/proc/${record.pid}/ns/net`,
      hostsEntries: hosts.split('\n').filter((line) => line !== ''),
      resolvConf,
    },
    hostname: record.hostname,
  };
}
