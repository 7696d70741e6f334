import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MediaTypes } from '@koker/core';

/** How the fake serves one blob: normally, cut after half once (or always), ignoring Range, corrupted. */
export type BlobFault = 'cut-once' | 'cut-always' | 'ignore-range' | 'corrupt';

export interface FakeRegistryOptions {
  readonly auth?: 'none' | 'basic' | 'bearer';
  readonly users?: Record<string, string>;
}

export const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * A distribution-API server in-process, for the faults a real registry cannot be made to show:
 * connections cut mid-blob, Range ignored, corrupt blobs, schema 1. (The e2e suite runs the same
 * client against Debian's docker-registry.)
 */
export class FakeRegistry {
  readonly manifests = new Map<string, { body: Buffer; type: string }>();
  readonly blobs = new Map<string, Buffer>();
  readonly faults = new Map<string, BlobFault>();
  readonly tokenRequests: { scope: string | null; user?: string }[] = [];
  readonly requests: string[] = [];
  private server?: Server;
  private cuts = new Set<string>();
  url = '';

  constructor(private readonly options: FakeRegistryOptions = {}) {}

  addManifest(repository: string, reference: string, value: unknown, type: string): string {
    const body = Buffer.from(JSON.stringify(value));
    const digest = digestOf(body);
    this.manifests.set(`${repository}/${reference}`, { body, type });
    this.manifests.set(`${repository}/${digest}`, { body, type });
    return digest;
  }

  addBlob(bytes: Buffer): { digest: string; size: number } {
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return { digest, size: bytes.length };
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  get host(): string {
    return this.url.replace('http://', '');
  }

  private user(request: IncomingMessage): string | undefined | false {
    const header = request.headers.authorization;
    if (!header?.startsWith('Basic ')) return undefined;
    const [user, password] = Buffer.from(header.slice(6), 'base64').toString().split(':');
    return user && this.options.users?.[user] === password ? user : false;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    this.requests.push(
      `${request.method} ${url.pathname}${request.headers.range ? ` ${request.headers.range}` : ''}`,
    );
    if (url.pathname === '/token') {
      const user = this.user(request);
      if (user === false) return void response.writeHead(401).end('{"details":"bad credentials"}');
      this.tokenRequests.push({ scope: url.searchParams.get('scope'), ...(user ? { user } : {}) });
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ token: `token-${user ?? 'anonymous'}`, expires_in: 300 }));
    }
    const auth = this.options.auth ?? 'none';
    if (auth === 'basic' && !this.user(request)) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' });
      return void response.end();
    }
    if (auth === 'bearer' && !request.headers.authorization?.startsWith('Bearer token-')) {
      const scope =
        url.pathname.startsWith('/v2/') && url.pathname.length > 4
          ? `repository:${url.pathname.split('/')[2]}:pull`
          : '';
      response.writeHead(401, {
        'www-authenticate': `Bearer realm="${this.url}/token",service="fake"${scope ? `,scope="${scope}"` : ''}`,
        'content-type': 'application/json',
      });
      return void response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
    if (url.pathname === '/v2/') return void response.writeHead(200).end('{}');
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) {
      const found = this.manifests.get(`${manifest[1]}/${manifest[2]}`);
      if (!found) {
        response.writeHead(404, { 'content-type': 'application/json' });
        return void response.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      }
      response.writeHead(200, { 'content-type': found.type, 'docker-content-digest': digestOf(found.body) });
      return void response.end(found.body);
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (blob) {
      const digest = blob[2] as string;
      let bytes = this.blobs.get(digest);
      if (!bytes)
        return void response
          .writeHead(404)
          .end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
      const fault = this.faults.get(digest);
      if (fault === 'corrupt') {
        bytes = Buffer.from(bytes);
        bytes[0] = (bytes[0] as number) ^ 0xff;
      }
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
      let start = 0;
      if (range && fault !== 'ignore-range') {
        start = Number(range[1]);
        response.writeHead(206, {
          'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
          'content-length': bytes.length - start,
        });
      } else {
        response.writeHead(200, { 'content-length': bytes.length });
      }
      const body = bytes.subarray(start);
      const cut =
        fault === 'cut-always' ||
        (fault === 'cut-once' && !this.cuts.has(digest)) ||
        (fault === 'ignore-range' && !this.cuts.has(digest));
      if (cut) {
        this.cuts.add(digest);
        response.write(body.subarray(0, Math.floor(body.length / 2)));
        setTimeout(() => response.socket?.destroy(), 20);
        return;
      }
      return void response.end(body);
    }
    response.writeHead(404).end();
  }
}

/** An image in the fake: an index listing arm64 before amd64, each a manifest with one layer. */
export function publish(registry: FakeRegistry, repository: string, layerBytes = randomBytes(200_000)) {
  const layer = registry.addBlob(layerBytes);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [digestOf(Buffer.from('x'))] },
    }),
  );
  const configBlob = registry.addBlob(config);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, ...configBlob },
    layers: [{ mediaType: MediaTypes.ociLayerGzip, ...layer }],
  };
  const manifestDigest = registry.addManifest(repository, 'amd64-only', manifest, MediaTypes.ociManifest);
  const arm = registry.addManifest(repository, 'arm', { ...manifest, layers: [] }, MediaTypes.ociManifest);
  const size = Buffer.byteLength(JSON.stringify(manifest));
  const indexDigest = registry.addManifest(
    repository,
    'latest',
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [
        {
          mediaType: MediaTypes.ociManifest,
          digest: arm,
          size: 10,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        {
          mediaType: MediaTypes.ociManifest,
          digest: manifestDigest,
          size,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    },
    MediaTypes.ociIndex,
  );
  return { layer, layerBytes, manifestDigest, indexDigest, config };
}
