import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** How the canned registry answers uploads: what a real registry cannot be made to do on demand. */
export interface UploadBehaviour {
  /** `OCI-Chunk-Min-Length` on the POST, and a PUT with a body refused (416): chunks only. */
  readonly chunkMin?: number;
  /** A PUT with a body answers 413 (too large for one request). */
  readonly refuseMonolithic?: boolean;
  /** The form of every Location: relative (default), absolute on this host, or another host. */
  readonly location?: 'relative' | 'absolute' | 'foreign' | 'none';
  /** The digest the completing PUT claims (a registry that stored something else). */
  readonly claimDigest?: string;
  /** PATCH answers a Range shorter than what was sent. */
  readonly loseBytes?: boolean;
}

interface Upload {
  readonly repository: string;
  data: Buffer;
}

const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** An in-process registry answering the push half of the distribution API. */
export class UploadRegistry {
  /** `repository` -> digest -> bytes */
  readonly blobs = new Map<string, Map<string, Buffer>>();
  readonly manifests = new Map<string, { type: string; body: Buffer }>();
  readonly requests: string[] = [];
  private readonly uploads = new Map<string, Upload>();
  private server?: Server;
  url = '';

  constructor(public behaviour: UploadBehaviour = {}) {}

  get host(): string {
    return this.url.replace('http://', '');
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.handle(request, response).catch((error: Error) => {
        response.writeHead(500).end(error.message);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  hasBlob(repository: string, digest: string): boolean {
    return this.blobs.get(repository)?.has(digest) ?? false;
  }

  addBlob(repository: string, bytes: Buffer): void {
    const repo = this.blobs.get(repository) ?? new Map<string, Buffer>();
    repo.set(digestOf(bytes), bytes);
    this.blobs.set(repository, repo);
  }

  private location(id: string, repository: string): Record<string, string> {
    const path = `/v2/${repository}/blobs/uploads/${id}?_state=${id}-state`;
    switch (this.behaviour.location ?? 'relative') {
      case 'relative':
        return { location: path };
      case 'absolute':
        return { location: `${this.url}${path}` };
      case 'foreign':
        return { location: `http://uploads.example.com${path}` };
      case 'none':
        return {};
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const body = await readBody(request);
    const range = request.headers['content-range'];
    this.requests.push(`${request.method} ${url.pathname}${url.search}${range ? ` ${range}` : ''}`);
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (blob && request.method === 'HEAD') {
      const bytes = this.blobs.get(blob[1] as string)?.get(blob[2] as string);
      if (!bytes) return void response.writeHead(404).end();
      return void response.writeHead(200, { 'content-length': String(bytes.length) }).end();
    }
    const start = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(url.pathname);
    if (start && request.method === 'POST') {
      const repository = start[1] as string;
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from) {
        const bytes = this.blobs.get(from)?.get(mount);
        if (bytes) {
          this.addBlob(repository, bytes);
          return void response.writeHead(201, { 'docker-content-digest': mount }).end();
        }
      }
      const id = randomUUID();
      this.uploads.set(id, { repository, data: Buffer.alloc(0) });
      return void response
        .writeHead(202, {
          ...this.location(id, repository),
          range: '0-0',
          ...(this.behaviour.chunkMin ? { 'oci-chunk-min-length': String(this.behaviour.chunkMin) } : {}),
        })
        .end();
    }
    const session = /^\/v2\/(.+)\/blobs\/uploads\/([0-9a-f-]+)$/.exec(url.pathname);
    if (session) {
      const upload = this.uploads.get(session[2] as string);
      if (!upload || url.searchParams.get('_state') !== `${session[2]}-state`) {
        return void response
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown' }] }));
      }
      if (request.method === 'PATCH') {
        const [from] = String(range ?? `${upload.data.length}-`).split('-');
        if (Number(from) !== upload.data.length) {
          return void response.writeHead(416, { range: `0-${upload.data.length - 1}` }).end();
        }
        upload.data = Buffer.concat([upload.data, body]);
        const held = this.behaviour.loseBytes ? upload.data.length - 1 : upload.data.length;
        return void response
          .writeHead(202, {
            ...this.location(session[2] as string, upload.repository),
            range: `0-${held - 1}`,
          })
          .end();
      }
      if (request.method === 'PUT') {
        if (body.length > 0 && this.behaviour.refuseMonolithic) return void response.writeHead(413).end();
        if (body.length > 0 && this.behaviour.chunkMin) return void response.writeHead(416).end();
        upload.data = Buffer.concat([upload.data, body]);
        const digest = url.searchParams.get('digest');
        if (digest !== digestOf(upload.data)) {
          return void response.writeHead(400, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }],
            }),
          );
        }
        this.uploads.delete(session[2] as string);
        this.addBlob(upload.repository, upload.data);
        return void response
          .writeHead(201, {
            location: `/v2/${upload.repository}/blobs/${digest}`,
            'docker-content-digest': this.behaviour.claimDigest ?? digest,
          })
          .end();
      }
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest && request.method === 'PUT') {
      const parsed = JSON.parse(body.toString()) as {
        config: { digest: string };
        layers: { digest: string }[];
      };
      const repository = manifest[1] as string;
      for (const needed of [parsed.config, ...parsed.layers]) {
        if (!this.hasBlob(repository, needed.digest)) {
          return void response.writeHead(400, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: `blob unknown ${needed.digest}` }],
            }),
          );
        }
      }
      this.manifests.set(`${repository}:${manifest[2]}`, {
        type: String(request.headers['content-type']),
        body,
      });
      return void response.writeHead(201, { 'docker-content-digest': digestOf(body) }).end();
    }
    response.writeHead(404).end();
  }
}
