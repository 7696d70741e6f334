import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { type Socket } from 'node:net';
import { Duplex, PassThrough, type Writable } from 'node:stream';
import { type ApiResponse } from './api-exchange.js';

/** A response over Node's ServerResponse (a request without `Upgrade`). */
export class HttpResponse implements ApiResponse {
  sent = false;
  status = 0;

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly common: Record<string, string>,
  ) {}

  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = `${JSON.stringify(value)}\n`;
    this.sent = true;
    this.status = status;
    this.response.writeHead(status, {
      ...this.common,
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    this.response.end(this.request.method === 'HEAD' ? undefined : body);
  }

  empty(status: number, headers: Record<string, string> = {}): void {
    this.sent = true;
    this.status = status;
    this.response.writeHead(status, { ...this.common, ...headers });
    this.response.end();
  }

  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    this.sent = true;
    this.status = status;
    this.response.writeHead(status, { ...this.common, ...headers, 'Content-Type': contentType });
    this.response.flushHeaders();
    return this.response;
  }

  hijack(contentType: string): Duplex {
    const output = this.stream(200, contentType);
    // The request's body (stdin) in, the chunked response out.
    return Duplex.from({ readable: this.request, writable: output });
  }
}

/**
 * A response written by hand on a connection Node handed over (`Upgrade: tcp`): what Docker's
 * clients send for attach and exec start. Answers that are not a hijack close the connection.
 */
export class UpgradedResponse implements ApiResponse {
  sent = false;
  status = 0;

  constructor(
    private readonly socket: Socket,
    private readonly common: Record<string, string>,
    /** The bytes that came after the request's body, already read: the client's first stdin. */
    private readonly rest: () => Buffer,
  ) {}

  private head(status: number, headers: Record<string, string>): string {
    const lines = [`HTTP/1.1 ${status} ${status === 101 ? 'UPGRADED' : (STATUS_CODES[status] ?? '')}`];
    for (const [name, value] of Object.entries({ ...this.common, ...headers }))
      lines.push(`${name}: ${value}`);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    const body = `${JSON.stringify(value)}\n`;
    this.sent = true;
    this.status = status;
    this.socket.end(
      this.head(status, {
        ...headers,
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        Connection: 'close',
      }) + body,
    );
  }

  empty(status: number, headers: Record<string, string> = {}): void {
    this.sent = true;
    this.status = status;
    this.socket.end(this.head(status, { ...headers, 'Content-Length': '0', Connection: 'close' }));
  }

  stream(status: number, contentType: string, headers: Record<string, string> = {}): Writable {
    this.sent = true;
    this.status = status;
    this.socket.write(this.head(status, { ...headers, 'Content-Type': contentType, Connection: 'close' }));
    return this.socket;
  }

  hijack(contentType: string): Duplex {
    this.sent = true;
    this.status = 101;
    this.socket.write(this.head(101, { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }));
    const rest = this.rest();
    if (rest.length === 0) return this.socket;
    // What the client sent right after its request comes first.
    const input = new PassThrough();
    input.write(rest);
    this.socket.pipe(input);
    return Duplex.from({ readable: input, writable: this.socket });
  }
}
