import { InvalidValueError } from '@koker/core';

/** Where the service listens: a unix socket path, or TCP (served only with TLS client certificates). */
export type ListenAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export const DEFAULT_SOCKET = 'unix:///run/koker/koker.sock';

/** `unix:///run/koker/koker.sock`, a bare absolute path, or `tcp://HOST:PORT` (dockerd's `-H`). */
export function parseListenAddress(value: string): ListenAddress {
  if (value.startsWith('/')) return { kind: 'unix', path: value };
  const unix = /^unix:\/\/(\/.+)$/.exec(value);
  if (unix?.[1]) return { kind: 'unix', path: unix[1] };
  const tcp = /^tcp:\/\/([^:/[\]]+|\[[^\]]+\]):(\d+)\/?$/.exec(value);
  if (tcp?.[1] && tcp[2] && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536)
    return { kind: 'tcp', host: tcp[1].replace(/^\[(.*)\]$/, '$1'), port: Number(tcp[2]) };
  throw new InvalidValueError('socket address', value, 'expected unix:///PATH or tcp://HOST:PORT');
}

/** How an address is written back (logs, errors). */
export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  return `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
