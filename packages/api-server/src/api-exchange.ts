import { type IncomingHttpHeaders } from 'node:http';
import { type Duplex, type Writable } from 'node:stream';
import { ApiError } from './api-error.js';

/** One API request as a handler sees it. */
export interface ApiRequest {
  readonly method: string;
  /** Without the `/v1.xx` prefix. */
  readonly path: string;
  /** The negotiated API version (the prefix's, else the newest served). */
  readonly version: string;
  /** The route's `{name}` parts. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The body as JSON (`{}` when empty); a body that does not parse is a 400. */
  json<T>(): Promise<T>;
  /** The body as a byte stream (archives, image tarballs). */
  body(): NodeJS.ReadableStream;
}

/** How a handler answers: one of these, once. */
export interface ApiResponse {
  json(status: number, value: unknown, headers?: Record<string, string>): void;
  /** A status without a body (204, 304...). */
  empty(status: number, headers?: Record<string, string>): void;
  /** A body written as it comes (logs -f, events, pull progress, archives); ended by the handler. */
  stream(status: number, contentType: string, headers?: Record<string, string>): Writable;
  /**
   * The connection taken over (attach, exec start): Docker's `101 UPGRADED` when the client asked
   * for an upgrade, else a `200` raw stream; from then on bytes go both ways unframed by HTTP.
   */
  hijack(contentType: string): Duplex;
  /** Whether an answer was started. */
  readonly sent: boolean;
  /** The status answered (101 for a hijack), 0 before. */
  readonly status: number;
}

/** Query values as Docker's Go server reads them. */
export function queryFlag(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(value);
}

export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed))
    throw new ApiError(400, `invalid value for ${name}: ${JSON.stringify(value)}`);
  return parsed;
}

/** Docker's `filters` parameter: `{"key": ["v", ...]}` or the older `{"key": {"v": true}}`. */
export function queryFilters(query: URLSearchParams): Record<string, string[]> {
  const raw = query.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid filter: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ApiError(400, `invalid filter: ${raw}`);
  const filters: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(value)) filters[key] = value.map(String);
    else if (typeof value === 'object' && value !== null)
      filters[key] = Object.entries(value as Record<string, unknown>)
        .filter(([, on]) => on === true)
        .map(([name]) => name);
    else throw new ApiError(400, `invalid filter: ${raw}`);
  }
  return filters;
}
