import { isIP } from 'node:net';
import { InvalidValueError } from '@koker/core';

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/;

/**
 * `--add-host NAME:IP` lines of /etc/hosts, in order. `host-gateway` becomes `gateway`: the
 * host's address as the container reaches it.
 */
export function extraHostsLines(
  extra: readonly { readonly name: string; readonly ip: string }[] | undefined,
  gateway: string,
): string[] {
  return (extra ?? []).map(({ name, ip }) => {
    if (!HOST_NAME.test(name))
      throw new InvalidValueError('--add-host', `${name}:${ip}`, 'invalid host name');
    const address = ip === 'host-gateway' ? gateway : ip;
    if (isIP(address) === 0)
      throw new InvalidValueError('--add-host', `${name}:${ip}`, 'expected NAME:IP or NAME:host-gateway');
    return `${address}\t${name}`;
  });
}
