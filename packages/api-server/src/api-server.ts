import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { type Logger } from '@koker/core';
import { ApiError, errorBody, statusOf } from './api-error.js';
import { type ApiRequest, type ApiResponse } from './api-exchange.js';
import { MAX_API_VERSION, MIN_API_VERSION, versionedPath } from './api-version.js';
import { HttpResponse, UpgradedResponse } from './http-response.js';
import { type ApiRoute, Router } from './router.js';

export interface ApiServerOptions {
  readonly routes: readonly ApiRoute[];
  readonly log: Logger;
  /** `Server:` of every answer, e.g. `koker/0.1.0 (linux)`. */
  readonly serverName: string;
}

/** A request body as bytes: from Node's parser, or read off a handed-over connection. */
type BodySource = () => NodeJS.ReadableStream;

/**
 * The Engine API's HTTP side: each request's `/v1.xx` prefix checked, routed, answered as dockerd
 * answers (its headers, `{"message"}` errors with errdefs' statuses), upgrades for attach and exec.
 */
export class ApiServer {
  readonly http: Server;
  private readonly router: Router;
  private readonly common: Record<string, string>;
  private active = 0;
  /** Every connection, hijacked ones too (Node's server forgets those). */
  private readonly sockets = new Set<Socket>();
  private lastActivity = Date.now();

  constructor(private readonly options: ApiServerOptions) {
    this.router = new Router(options.routes);
    this.common = {
      'Api-Version': MAX_API_VERSION,
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      Server: options.serverName,
    };
    this.http = createServer((request, response) => void this.onRequest(request, response));
    this.http.on(
      'upgrade',
      (request: IncomingMessage, socket: Socket, head: Buffer) => void this.onUpgrade(request, socket, head),
    );
    this.http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Waits and followed logs last as long as the client wants.
    this.http.requestTimeout = 0;
    this.http.headersTimeout = 60_000;
  }

  /** Stops listening and ends every connection (streams and hijacked ones too); resolves when closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Requests in progress (a hijacked connection counts until it closes). */
  get busy(): boolean {
    return this.active > 0;
  }

  /** Milliseconds since the last request ended (or began, while one runs). */
  idleFor(): number {
    return this.active > 0 ? 0 : Date.now() - this.lastActivity;
  }

  private async onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const answer = new HttpResponse(request, response, this.common);
    await this.dispatch(request, answer, () => request, response);
  }

  private async onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    // The body (exec start's JSON) comes first on the connection; what follows is stdin.
    const length = Number(request.headers['content-length'] ?? 0);
    let buffered = head;
    while (buffered.length < length) {
      const chunk = await new Promise<Buffer | null>((resolve) => {
        socket.once('data', (data: Buffer) => resolve(data));
        socket.once('end', () => resolve(null));
      });
      if (chunk === null) break;
      buffered = Buffer.concat([buffered, chunk]);
    }
    socket.pause();
    const body = buffered.subarray(0, length);
    const rest = buffered.subarray(length);
    const answer = new UpgradedResponse(socket, this.common, () => rest);
    await this.dispatch(request, answer, () => Readable.from([body]), socket);
  }

  private async dispatch(
    request: IncomingMessage,
    response: ApiResponse,
    body: BodySource,
    connection: NodeJS.EventEmitter,
  ): Promise<void> {
    const started = Date.now();
    this.active += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.active -= 1;
      this.lastActivity = Date.now();
    };
    connection.once('close', finish);
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://koker');
    let status = 0;
    try {
      const { path, version } = versionedPath(url.pathname);
      const { handler, params } = this.router.match(method, path);
      const apiRequest: ApiRequest = {
        method,
        path,
        version,
        params,
        query: url.searchParams,
        headers: request.headers,
        json: () => readJson(body()),
        body,
      };
      await handler(apiRequest, response);
      status = response.status;
    } catch (error) {
      status = response.sent ? response.status : statusOf(error);
      if (status >= 500)
        this.options.log.warn({ err: error, method, path: url.pathname }, 'API request failed');
      if (!response.sent) response.json(status, errorBody(error));
      else {
        // Mid-stream: nothing can be said in HTTP any more; the connection ends so the client sees it.
        this.options.log.debug({ err: error }, 'API stream ended by an error');
        (connection as { destroy?: () => void }).destroy?.();
      }
    } finally {
      this.options.log.debug({ method, path: url.pathname, status, ms: Date.now() - started }, 'API request');
      // A closed connection may have closed before its listener was added.
      if ((connection as { destroyed?: boolean }).destroyed) finish();
    }
  }
}

async function readJson<T>(stream: NodeJS.ReadableStream): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ApiError(400, `invalid JSON in the request body: ${(error as Error).message}`);
  }
}

export { MIN_API_VERSION, MAX_API_VERSION };
