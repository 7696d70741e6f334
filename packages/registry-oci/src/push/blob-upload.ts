import { type Readable, Transform, pipeline } from 'node:stream';
import { RegistryError, type Descriptor, type Logger } from '@koker/core';
import { type HttpResponse } from '../http.js';
import { type RegistryClient } from '../registry-client.js';
import { DEFAULT_RETRY, backoff, isRetryableNetworkError, type RetryPolicy } from '../retry.js';
import { pushFailure } from './push-errors.js';
import { uploadLocation, withDigest } from './upload-location.js';

/** A blob to send: its descriptor, and its bytes as file ranges that can be read again. */
export interface BlobToPush {
  readonly descriptor: Descriptor;
  /** Opens bytes `start` (inclusive) to `end` (exclusive) of the blob. */
  readonly open: (start: number, end: number) => Readable;
}

/** What became of a blob: the registry had it, mounted it from another repository, or received it. */
export type BlobOutcome =
  | { readonly kind: 'exists' }
  | { readonly kind: 'mounted'; readonly from: string }
  | { readonly kind: 'pushed' };

export interface UploadLimits {
  /** Blobs larger than this go in chunks (PATCH with Content-Range), smaller ones in one PUT. */
  readonly monolithicMax: number;
  /** Bytes per PATCH (raised to the registry's `OCI-Chunk-Min-Length`). */
  readonly chunkSize: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  monolithicMax: 64 * 1024 * 1024,
  chunkSize: 32 * 1024 * 1024,
};

export interface BlobPushOptions {
  /** What is sent, for messages: `layer sha256:… of host/repo`. */
  readonly what: string;
  /** Repositories of the same registry that may hold the blob: a mount is asked from each. */
  readonly mountFrom?: readonly string[];
  readonly onBytes?: (n: number) => void;
  readonly signal?: AbortSignal;
}

const OCTETS = 'application/octet-stream';

/** Counts the bytes that go out, for progress. */
function counted(source: Readable, onBytes: ((n: number) => void) | undefined): Readable {
  if (!onBytes) return source;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  return pipeline(source, counter, () => undefined);
}

/** Thrown inside an upload when the registry asks for chunks instead of one PUT. */
class ChunksWanted extends Error {}

/**
 * Sends one blob to a repository the way the distribution API lays out: HEAD (does the registry
 * have it?), then a cross-repository mount when another repository of the registry may hold it,
 * else an upload session (POST) completed in one PUT or in PATCH chunks and a closing PUT. The
 * registry's digest is checked against ours; every Location must stay on the registry. A network
 * fault restarts the blob with a new session (a half-sent body cannot be trusted).
 */
export class BlobUploader {
  constructor(
    private readonly client: RegistryClient,
    private readonly repository: string,
    private readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
    private readonly log?: Logger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  private get pushScope(): string {
    return `repository:${this.repository}:pull,push`;
  }

  async push(blob: BlobToPush, options: BlobPushOptions): Promise<BlobOutcome> {
    if (await this.exists(blob.descriptor, options)) return { kind: 'exists' };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pushOnce(blob, options);
      } catch (error) {
        if (options.signal?.aborted || !isRetryableNetworkError(error) || attempt >= this.retry.attempts)
          throw error;
        this.log?.debug(
          { digest: blob.descriptor.digest, attempt, error: (error as Error).message },
          'Restart blob upload',
        );
        await backoff(attempt, this.retry, this.log, options.what);
      }
    }
  }

  /** HEAD /v2/<name>/blobs/<digest>: 200 (with the right length) means the registry has it. */
  private async exists(descriptor: Descriptor, options: BlobPushOptions): Promise<boolean> {
    const response = await this.client.request(`${this.repository}/blobs/${descriptor.digest}`, {
      method: 'HEAD',
      scope: this.pushScope,
      what: options.what,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await response.body.dump();
    if (response.status === 404) return false;
    if (response.status === 200) {
      const length = response.header('content-length');
      // A registry holding another blob under this digest would be corrupt: upload ours.
      if (length !== undefined && Number(length) !== descriptor.size) {
        this.log?.debug({ digest: descriptor.digest, length }, 'Registry blob has another size: upload it');
        return false;
      }
      this.log?.debug({ digest: descriptor.digest, repository: this.repository }, 'Blob exists');
      return true;
    }
    // The HEAD has no body to explain itself: what the POST says is clearer.
    if (response.status === 401 || response.status === 403) return false;
    throw new RegistryError(
      `checking whether ${this.client.endpoint.host} has ${options.what}: it answered HTTP ${response.status}`,
    );
  }

  private async pushOnce(blob: BlobToPush, options: BlobPushOptions): Promise<BlobOutcome> {
    let session: HttpResponse | undefined;
    for (const from of options.mountFrom ?? []) {
      if (from === this.repository) continue;
      const response = await this.start(options, { mount: blob.descriptor.digest, from });
      if (response.status === 201) {
        await response.body.dump();
        this.checkDigest(response, blob.descriptor, options.what);
        this.log?.debug({ digest: blob.descriptor.digest, from, repository: this.repository }, 'Mount blob');
        return { kind: 'mounted', from };
      }
      if (response.status === 202) {
        // Not there (or not allowed): the registry opened an ordinary upload instead.
        session = response;
        break;
      }
      throw await pushFailure(
        this.client,
        response,
        `the mount of ${options.what} from ${from}`,
        this.repository,
      );
    }
    session ??= await this.start(options);
    if (session.status !== 202) {
      throw await pushFailure(this.client, session, `the upload of ${options.what}`, this.repository);
    }
    await session.body.dump();
    let location = uploadLocation(this.client.endpoint, session.header('location'), options.what);
    const minChunk = Number(session.header('oci-chunk-min-length') ?? 0) || 0;
    if (blob.descriptor.size <= this.limits.monolithicMax && minChunk === 0) {
      try {
        await this.putWhole(location, blob, options);
        return { kind: 'pushed' };
      } catch (error) {
        if (!(error instanceof ChunksWanted)) throw error;
        // The session may be spent by the refused PUT: chunks go to a new one.
        const again = await this.start(options);
        if (again.status !== 202)
          throw await pushFailure(this.client, again, `the upload of ${options.what}`, this.repository);
        await again.body.dump();
        location = uploadLocation(this.client.endpoint, again.header('location'), options.what);
      }
    }
    await this.putChunks(location, blob, Math.max(this.limits.chunkSize, minChunk), options);
    return { kind: 'pushed' };
  }

  /** POST /v2/<name>/blobs/uploads/ (with `mount=&from=` to ask for a cross-repository mount). */
  private start(options: BlobPushOptions, mount?: { mount: string; from: string }): Promise<HttpResponse> {
    const query = mount
      ? `?mount=${encodeURIComponent(mount.mount)}&from=${encodeURIComponent(mount.from)}`
      : '';
    return this.client.request(`${this.repository}/blobs/uploads/${query}`, {
      method: 'POST',
      scope: mount ? `${this.pushScope} repository:${mount.from}:pull` : this.pushScope,
      headers: { 'content-length': '0' },
      what: options.what,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** The monolithic upload: PUT <location>?digest=<digest> with the whole blob. */
  private async putWhole(location: URL, blob: BlobToPush, options: BlobPushOptions): Promise<void> {
    const { size } = blob.descriptor;
    const response = await this.client.request('', {
      method: 'PUT',
      url: withDigest(location, blob.descriptor.digest),
      scope: this.pushScope,
      headers: { 'content-type': OCTETS, 'content-length': String(size) },
      body: () => counted(blob.open(0, size), options.onBytes),
      what: options.what,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.status === 413 || response.status === 416) {
      await response.body.dump();
      this.log?.debug({ digest: blob.descriptor.digest, status: response.status }, 'Registry wants chunks');
      throw new ChunksWanted();
    }
    await this.completed(response, blob.descriptor, options.what);
  }

  /** Chunked: PATCH each range with Content-Range, following each new Location; then PUT ?digest=. */
  private async putChunks(
    first: URL,
    blob: BlobToPush,
    chunkSize: number,
    options: BlobPushOptions,
  ): Promise<void> {
    const { size, digest } = blob.descriptor;
    let location = first;
    let offset = 0;
    while (offset < size) {
      const end = Math.min(offset + chunkSize, size);
      const start = offset;
      const response = await this.client.request('', {
        method: 'PATCH',
        url: location.toString(),
        scope: this.pushScope,
        headers: {
          'content-type': OCTETS,
          'content-length': String(end - start),
          'content-range': `${start}-${end - 1}`,
        },
        body: () => counted(blob.open(start, end), options.onBytes),
        what: options.what,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (response.status !== 202) {
        throw await pushFailure(this.client, response, `a chunk of ${options.what}`, this.repository);
      }
      await response.body.dump();
      location = uploadLocation(
        this.client.endpoint,
        response.header('location') ?? location.toString(),
        options.what,
      );
      // Range says what the registry holds now (`0-N`, inclusive): it must be all we sent.
      const range = /^(?:bytes=)?0-(\d+)$/.exec(response.header('range') ?? '');
      const held = range ? Number(range[1]) + 1 : end;
      if (held !== end) {
        throw new RegistryError(
          `blob upload invalid: ${this.client.endpoint.host} holds ${held} bytes of ${options.what} after a chunk ending at ${end}`,
          { hint: 'the registry lost part of the upload; push again' },
        );
      }
      this.log?.debug({ digest, sent: end, size }, 'Upload blob chunk');
      offset = end;
    }
    const response = await this.client.request('', {
      method: 'PUT',
      url: withDigest(location, digest),
      scope: this.pushScope,
      headers: { 'content-length': '0' },
      what: options.what,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await this.completed(response, blob.descriptor, options.what);
  }

  private async completed(response: HttpResponse, descriptor: Descriptor, what: string): Promise<void> {
    if (response.status !== 201) {
      throw await pushFailure(this.client, response, `the upload of ${what}`, this.repository);
    }
    await response.body.dump();
    this.checkDigest(response, descriptor, what);
    this.log?.debug({ digest: descriptor.digest, repository: this.repository }, 'Blob uploaded');
  }

  /** The registry's `Docker-Content-Digest`, when it sends one, must be the blob's. */
  private checkDigest(response: HttpResponse, descriptor: Descriptor, what: string): void {
    const said = response.header('docker-content-digest');
    if (said !== undefined && said !== descriptor.digest) {
      throw new RegistryError(
        `${this.client.endpoint.host} stored ${what} as ${said}, not ${descriptor.digest}`,
        { hint: 'the bytes changed on the way or the local store is damaged; push again' },
      );
    }
  }
}
