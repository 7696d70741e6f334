import { ApiError } from './api-error.js';

/** Where the service listens: a unix socket path, or (refused for now) TCP. */
export type ListenAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export const DEFAULT_SOCKET = 'unix:///run/koker/koker.sock';

/** `unix:///run/koker/koker.sock`, a bare absolute path, or `tcp://HOST:PORT`. */
export function parseListenAddress(value: string): ListenAddress {
  if (value.startsWith('/')) return { kind: 'unix', path: value };
  const unix = /^unix:\/\/(\/.+)$/.exec(value);
  if (unix?.[1]) return { kind: 'unix', path: unix[1] };
  const tcp = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(value);
  if (tcp?.[1] && tcp[2]) return { kind: 'tcp', host: tcp[1], port: Number(tcp[2]) };
  throw new ApiError(
    400,
    `invalid socket address ${JSON.stringify(value)}: expected unix:///PATH or tcp://HOST:PORT`,
  );
}
