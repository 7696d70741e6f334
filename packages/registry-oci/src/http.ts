import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type Readable } from 'node:stream';
import { type Logger } from '@koker/core';

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

export interface HttpRequest {
  readonly method?: 'GET' | 'HEAD';
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

const MAX_REDIRECTS = 5;
/** No byte for this long (connecting, waiting for headers, or mid-body) fails the request. */
const IDLE_TIMEOUT_MS = 60_000;
/** Bodies read to the end by dump() to keep the connection; larger ones close it instead. */
const DUMP_LIMIT = 256 * 1024;

/**
 * HTTP for the registry client: keep-alive connections, redirects followed without leaking auth.
 * Node's own http/https: undici (tried first) costs ~0.3 s of CPU and ~50 MB of RSS per pull
 * here, most of it compiling its WebAssembly HTTP parser, where Node's parser is native.
 */
export class HttpClient {
  private readonly agents: { http?: HttpAgent; https?: HttpsAgent } = {};

  constructor(
    private readonly log?: Logger,
    private readonly connectionsPerOrigin = 8,
  ) {}

  async send(url: string, request: HttpRequest = {}): Promise<HttpResponse> {
    let current = url;
    let headers: Record<string, string> = { 'user-agent': 'koker', ...request.headers };
    for (let hop = 0; ; hop++) {
      const response = await this.once(current, request.method ?? 'GET', headers, request.signal);
      const status = response.statusCode ?? 0;
      this.log?.debug({ method: request.method ?? 'GET', status, url: current }, 'HTTP request');
      const location = response.headers.location;
      if ([301, 302, 303, 307, 308].includes(status) && typeof location === 'string') {
        await dump(response);
        if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
        const next = new URL(location, current);
        // Blob storage elsewhere (a CDN) must not see the registry's credentials.
        if (next.origin !== new URL(current).origin) {
          const { authorization: _dropped, ...rest } = headers;
          headers = rest;
        }
        current = next.toString();
        continue;
      }
      const raw = response.headers;
      return {
        status,
        url: current,
        header: (name) => {
          const value = raw[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body: Object.assign(response, {
          text: async () => (await collect(response)).toString('utf8'),
          arrayBuffer: async () => {
            const bytes = await collect(response);
            return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
          },
          dump: () => dump(response),
        }),
      };
    }
  }

  private once(
    url: string,
    method: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
      return Promise.reject(new Error(`unsupported URL scheme in ${url}`));
    }
    const options = { keepAlive: true, maxSockets: this.connectionsPerOrigin, scheduling: 'lifo' as const };
    const agent = secure
      ? (this.agents.https ??= new HttpsAgent(options))
      : (this.agents.http ??= new HttpAgent(options));
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(target, { method, headers, agent, ...(signal ? { signal } : {}) }, (response) => {
        // The idle timeout goes on covering the body, which the caller reads later.
        response.socket.setTimeout(IDLE_TIMEOUT_MS, () => {
          response.destroy(timeoutError('no data', url));
        });
        response.once('end', () => response.socket?.setTimeout(0));
        resolve(response);
      });
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(timeoutError('no answer', url)));
      req.on('error', reject);
      req.end();
    });
  }

  async close(): Promise<void> {
    this.agents.http?.destroy();
    this.agents.https?.destroy();
  }
}

function timeoutError(what: string, url: string): Error {
  return Object.assign(new Error(`${what} from ${url} in ${IDLE_TIMEOUT_MS / 1000} s`), {
    code: 'ETIMEDOUT',
  });
}

async function collect(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Discards a body: small ones are read to the end (the connection is reused), others closed. */
async function dump(response: IncomingMessage): Promise<void> {
  if (response.complete || response.destroyed) return;
  const length = Number(response.headers['content-length'] ?? Number.NaN);
  if (!(length <= DUMP_LIMIT)) {
    response.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    response.once('end', resolve);
    response.once('close', resolve);
    response.once('error', () => resolve());
    response.resume();
  });
}
