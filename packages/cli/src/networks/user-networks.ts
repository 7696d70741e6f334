import { InvalidValueError, Network, NotImplementedError, type UserNetworks } from '@koker/core';
import { type CliContext } from '../context.js';
import { type ListedNetwork } from './predefined-networks.js';

/** The chosen network driver's user networks (a driver may offer none). */
export async function userNetworksOf(context: CliContext): Promise<UserNetworks> {
  const driver = await context.driver(Network);
  if (!driver.networks) throw new NotImplementedError(`user networks with the ${driver.name} network driver`);
  return driver.networks;
}

/**
 * `--filter` of `network ls` and `network prune`: name= (substring), id= (prefix), label=,
 * driver=, scope=local|swarm|global (every koker network is local), type=builtin|custom,
 * dangling=true|false (a user network without containers, as Docker's).
 */
export function networkMatches(network: ListedNetwork, filters: readonly string[]): boolean {
  const byKey = new Map<string, string[]>();
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    const key = eq === -1 ? filter : filter.slice(0, eq);
    byKey.set(key, [...(byKey.get(key) ?? []), eq === -1 ? '' : filter.slice(eq + 1)]);
  }
  // Values of one key are alternatives; different keys must all match (Docker's rule).
  return [...byKey].every(([key, values]) =>
    values.some((value) => {
      switch (key) {
        case 'name':
          return network.name.includes(value);
        case 'id':
          return network.id.startsWith(value);
        case 'driver':
          return network.driver === value;
        case 'type':
          if (value !== 'builtin' && value !== 'custom')
            throw new InvalidValueError('filter', filter(key, value), 'type= is builtin or custom');
          return network.predefined === (value === 'builtin');
        case 'scope':
          if (!['local', 'swarm', 'global'].includes(value))
            throw new InvalidValueError('filter', filter(key, value), 'scope= is local, swarm or global');
          return value === 'local';
        case 'dangling': {
          const wanted = parseBooleanFilter(key, value);
          return (!network.predefined && network.containers.length === 0) === wanted;
        }
        case 'label': {
          const eq = value.indexOf('=');
          return eq === -1
            ? value in network.labels
            : network.labels[value.slice(0, eq)] === value.slice(eq + 1);
        }
        default:
          throw new InvalidValueError(
            'filter',
            filter(key, value),
            'use name=, id=, label=, driver=, scope=, type= or dangling=',
          );
      }
    }),
  );
}

/** Docker's booleans in filters: true/1 and false/0. */
function parseBooleanFilter(key: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidValueError('filter', filter(key, value), `${key}= is true or false`);
}

function filter(key: string, value: string): string {
  return `${key}=${value}`;
}
