import { createRequire } from 'node:module';
import { type Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { DEFAULT_REGISTRY_TIMEOUTS, type Logger, type RegistryTimeouts } from '@koker/core';

type Undici = typeof import('undici');
type Agent = InstanceType<Undici['Agent']>;
let undici: Promise<Undici['Agent']> | undefined;

/**
 * undici's Agent with its `request` API, imported on first use: commands that never reach a
 * registry do not pay for it. Only these two of undici's modules are loaded: its index also loads
 * fetch, WebSocket, the cache and the mocks, ~9 MB of a pull's peak RSS (bench/memory) for code a
 * registry client never runs. undici 7 has no `exports` map, so these paths are its own files.
 */
function loadUndici(): Promise<Undici['Agent']> {
  // undici parses HTTP with llhttp in WebAssembly, which V8 also tiers up with TurboFan: on
  // Node 20 that costs a pull ~30 MB of RSS and ~0.2 s of CPU. V8's baseline compiler alone
  // parses fast enough for a registry (bench/pull, ADR 0011). koker runs no other WebAssembly.
  if (undici === undefined) {
    setFlagsFromString('--liftoff-only');
    const load = createRequire(import.meta.url);
    undici = Promise.resolve().then(() => {
      const agent = load('undici/lib/dispatcher/agent') as Undici['Agent'];
      const dispatcher = load('undici/lib/dispatcher/dispatcher') as Undici['Dispatcher'];
      // What undici's index does to give every dispatcher request(), stream(), pipeline()...
      Object.assign(dispatcher.prototype, load('undici/lib/api') as object);
      return agent;
    });
  }
  return undici;
}

export interface HttpResponse {
  readonly status: number;
  readonly url: string;
  header(name: string): string | undefined;
  readonly body: Readable & {
    text(): Promise<string>;
    arrayBuffer(): Promise<ArrayBuffer>;
    dump(): Promise<void>;
  };
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';

export interface HttpRequest {
  readonly method?: HttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  /** A request body (uploads): a redirect is then returned, not followed (the body is spent). */
  readonly body?: Uint8Array | Readable;
  readonly signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;

/** HTTP for the registry client: keep-alive connections, redirects followed without leaking auth. */
export class HttpClient {
  private agent?: Agent;

  constructor(
    private readonly log?: Logger,
    private readonly connectionsPerOrigin = 8,
    readonly timeouts: RegistryTimeouts = DEFAULT_REGISTRY_TIMEOUTS,
  ) {}

  async send(url: string, request: HttpRequest = {}): Promise<HttpResponse> {
    const AgentClass = await loadUndici();
    this.agent ??= new AgentClass({
      connections: this.connectionsPerOrigin,
      keepAliveTimeout: 10_000,
      // The idle deadline: no header byte, or no body byte between two reads, for this long.
      headersTimeout: this.timeouts.idle * 1000,
      bodyTimeout: this.timeouts.idle * 1000,
      connectTimeout: this.timeouts.connect * 1000,
    });
    let current = url;
    let headers = { 'user-agent': 'koker', ...request.headers };
    for (let hop = 0; ; hop++) {
      const target = new URL(current);
      const response = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: request.method ?? 'GET',
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      this.log?.debug(
        { method: request.method ?? 'GET', status: response.statusCode, url: current },
        'HTTP request',
      );
      const location = response.headers.location;
      const readOnly = request.method === undefined || request.method === 'GET' || request.method === 'HEAD';
      if (
        readOnly &&
        [301, 302, 303, 307, 308].includes(response.statusCode) &&
        typeof location === 'string'
      ) {
        await response.body.dump();
        if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
        const next = new URL(location, current);
        // Blob storage elsewhere (a CDN) must not see the registry's credentials.
        if (next.origin !== new URL(current).origin) {
          const { authorization: _dropped, ...rest } = headers as Record<string, string>;
          headers = rest as typeof headers;
        }
        current = next.toString();
        continue;
      }
      const raw = response.headers;
      return {
        status: response.statusCode,
        url: current,
        header: (name) => {
          const value = raw[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body: response.body as unknown as HttpResponse['body'],
      };
    }
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}
