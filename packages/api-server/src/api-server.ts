import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
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
  private readonly listeners: NetServer[] = [];

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
    this.http.on('connection', (socket: Socket) => this.track(socket));
    // Waits and followed logs last as long as the client wants.
    this.http.requestTimeout = 0;
    this.http.headersTimeout = 60_000;
  }

  /**
   * Serves what a listener accepts: a unix socket's connections, a TLS listener's once their
   * handshake (and client certificate) checked out. One service may have several (dockerd's `-H`).
   */
  serve(listener: NetServer): void {
    this.listeners.push(listener);
    // A TLS connection still in its handshake is one to end at close too.
    if (listener instanceof TlsServer) listener.on('connection', (socket: Socket) => this.track(socket));
    const event = listener instanceof TlsServer ? 'secureConnection' : 'connection';
    listener.on(event, (socket: Socket) => {
      // As Node's own HTTP server has it: a client that closed its side (the end of a hijacked
      // stdin) still reads the output.
      (socket as { allowHalfOpen: boolean }).allowHalfOpen = true;
      this.http.emit('connection', socket);
    });
  }

  /** Stops listening and ends every connection (streams and hijacked ones too); resolves when closed. */
  async close(): Promise<void> {
    const closed = [this.http, ...this.listeners].map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    this.http.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
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
