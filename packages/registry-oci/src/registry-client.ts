import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ACCEPTED_MANIFEST_TYPES,
  NotFoundError,
  RegistryError,
  digestAlgorithm,
  parseDigest,
  type Descriptor,
  type Digest,
  type Logger,
} from '@koker/core';
import { type Authenticator } from './auth/authenticator.js';
import { type Endpoint } from './endpoints.js';
import { RegistryDeadlineError, deadlineOf, watchedChunks } from './deadlines.js';
import { type HttpClient, type HttpMethod, type HttpResponse } from './http.js';
import {
  DEFAULT_RETRY,
  backoff,
  isRetryableNetworkError,
  isRetryableStatus,
  networkCode,
  type RetryPolicy,
} from './retry.js';

export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly contentType: string | undefined;
  readonly digest: Digest;
}

const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed',
};

interface RegistryErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One registry endpoint speaking the distribution API v2 for one repository's pulls. */
export class RegistryClient {
  constructor(
    readonly endpoint: Endpoint,
    private readonly http: HttpClient,
    private readonly auth: Authenticator,
    private readonly log?: Logger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /**
   * Reads at most `limit` bytes of a body, under the stall deadline; more is an error (a
   * registry cannot make us buffer gigabytes, nor send an endless manifest).
   */
  private async readLimited(response: HttpResponse, limit: number, what: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of watchedChunks(response.body, this.http.timeouts.stall)) {
        total += chunk.length;
        if (total > limit) {
          response.body.destroy();
          throw new RegistryError(`${what} is larger than ${limit} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      throw this.deadlineError(error, what) ?? error;
    }
    return Buffer.concat(chunks);
  }

  /** A RegistryDeadlineError if `error` is a passed deadline, naming what was being sent. */
  private deadlineError(error: unknown, what: string): RegistryDeadlineError | undefined {
    if (error instanceof RegistryDeadlineError) return error;
    const deadline = deadlineOf(error);
    if (deadline === undefined) return undefined;
    return new RegistryDeadlineError(deadline, this.http.timeouts[deadline], this.endpoint.host, what, {
      cause: error,
    });
  }

  private unreachable(error: unknown, url: string): RegistryError {
    const code = networkCode(error);
    const words = (code && NETWORK_WORDS[code]) ?? (error as Error).message;
    return new RegistryError(
      `cannot reach registry ${this.endpoint.host} (${url}): ${words}${code ? ` (${code})` : ''}`,
      {
        cause: error,
        hint:
          this.endpoint.url.startsWith('https:') && code === 'EPROTO'
            ? `if ${this.endpoint.host} speaks plain HTTP, list it under registry.insecure in koker's config`
            : 'check that the registry runs and that its address is right',
      },
    );
  }

  /**
   * Sends a request with authorization, answering one challenge, and retrying network faults
   * and server errors with backoff.
   */
  async request(
    path: string,
    options: {
      scope: string;
      accept?: string;
      headers?: Record<string, string>;
      method?: HttpMethod;
      /** A request body, made anew for each try (an upload's file range is opened again). */
      body?: () => Uint8Array | Readable;
      /** An absolute URL on this registry instead of `path` (an upload's Location). */
      url?: string;
      signal?: AbortSignal;
      /** What is asked, for a deadline's message. */
      what?: string;
    },
  ): Promise<HttpResponse> {
    const url = options.url ?? `${this.endpoint.url}/v2/${path}`;
    // A body that went out may have been partly taken: the uploader restarts its upload instead.
    const attempts = options.body ? 1 : this.retry.attempts;
    let challenged = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.accept) headers.accept = options.accept;
      let response: HttpResponse;
      try {
        const authorization = await this.auth.headerFor(this.endpoint, options.scope);
        if (authorization) headers.authorization = authorization;
        response = await this.http.send(url, {
          method: options.method ?? 'GET',
          headers,
          ...(options.body ? { body: options.body() } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (error instanceof RegistryError || options.signal?.aborted) throw error;
        // A passed deadline ends the transfer: another try would only wait as long again.
        const deadline = this.deadlineError(error, options.what ?? url);
        if (deadline) throw deadline;
        if (networkCode(error) === undefined) throw error;
        if (isRetryableNetworkError(error) && attempt < attempts) {
          await backoff(attempt, this.retry, this.log, url);
          continue;
        }
        throw this.unreachable(error, url);
      }
      if (response.status === 401 && !challenged) {
        challenged = true;
        const header = response.header('www-authenticate');
        await response.body.dump();
        await this.auth.answer(this.endpoint, header, options.scope);
        attempt--;
        continue;
      }
      if (isRetryableStatus(response.status) && attempt < attempts) {
        await response.body.dump();
        await backoff(attempt, this.retry, this.log, url);
        continue;
      }
      return response;
    }
  }

  /** The registry's error (its first `errors` entry, or the start of the body) in words. */
  async errorOf(
    response: HttpResponse,
    what: string,
  ): Promise<{ first?: { code?: string; message?: string }; said: string }> {
    let body: RegistryErrorBody = {};
    const text = await this.readLimited(response, 64 * 1024, what)
      .then((bytes) => bytes.toString('utf8'))
      .catch(() => '');
    try {
      body = JSON.parse(text) as RegistryErrorBody;
    } catch {
      // not the registry's JSON error format
    }
    const first = body.errors?.[0];
    const said = first
      ? `${(first.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${first.message ?? ''}`.trim()
      : text.slice(0, 200).trim();
    return { ...(first ? { first } : {}), said };
  }

  /** Turns an unexpected answer into an error that says what was asked and what the registry said. */
  async failure(response: HttpResponse, what: string, repository: string): Promise<Error> {
    const { first, said } = await this.errorOf(response, what);
    const name = `${this.endpoint.host}/${repository}`;
    if (response.status === 404 || first?.code === 'MANIFEST_UNKNOWN' || first?.code === 'NAME_UNKNOWN') {
      if (first?.code === 'NAME_UNKNOWN') {
        return new NotFoundError(`repository ${name} not found: ${said}`, { hint: 'check the image name' });
      }
      return new NotFoundError(`${what} not found${said ? `: ${said}` : ''}`, {
        hint: 'check the name and tag (the registry does not have it)',
      });
    }
    if (response.status === 401 || response.status === 403) {
      const withCredentials = await this.auth.usedCredentials(this.endpoint);
      return new RegistryError(
        withCredentials
          ? `access to ${name} denied by ${this.endpoint.host}${said ? `: ${said}` : ''}`
          : `pull access denied for ${name}: the repository does not exist or needs credentials${said ? ` (${said})` : ''}`,
        {
          hint: `log in with: koker login${this.endpoint.host === 'docker.io' ? '' : ` ${this.endpoint.host}`}`,
        },
      );
    }
    if (response.status === 429) {
      return new RegistryError(
        `${this.endpoint.host} is rate-limiting requests (HTTP 429)${said ? `: ${said}` : ''}`,
        {
          hint: 'wait and try again, log in, or set a registry mirror (KOKER_REGISTRY_MIRROR)',
        },
      );
    }
    return new RegistryError(
      `${what}: ${this.endpoint.host} answered HTTP ${response.status}${said ? `: ${said}` : ''}`,
    );
  }

  /** GET a manifest or index; its digest is checked against the reference or Docker-Content-Digest. */
  async manifest(
    repository: string,
    reference: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const response = await this.request(`${repository}/manifests/${reference}`, {
      scope: `repository:${repository}:pull`,
      accept: ACCEPTED_MANIFEST_TYPES.join(', '),
      what,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 200) throw await this.failure(response, what, repository);
    const bytes = await this.readLimited(response, 4 * 1024 * 1024, what);
    const actual = parseDigest(`sha256:${sha256Hex(bytes)}`);
    const expected = reference.includes(':') ? reference : response.header('docker-content-digest');
    if (expected && expected.startsWith('sha256:') && expected !== actual) {
      throw new RegistryError(`${what} does not match its digest: expected ${expected}, got ${actual}`, {
        hint: 'the registry or something between it and koker altered the manifest',
      });
    }
    return { bytes, contentType: response.header('content-type'), digest: actual };
  }

  /** A small blob (a config) read whole, checked against its descriptor. */
  async blobBytes(
    repository: string,
    descriptor: Descriptor,
    what: string,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const stream = this.blob(repository, descriptor, what, { ...(signal ? { signal } : {}) });
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * A blob as a stream that is hashed as it flows, resumed with a Range request after a network
   * fault (or restarted and skipped forward when the registry ignores Range), and that fails
   * instead of ending when the size or digest is wrong.
   */
  blob(
    repository: string,
    descriptor: Descriptor,
    what: string,
    options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ): Readable {
    return Readable.from(this.blobChunks(repository, descriptor, what, options), { objectMode: false });
  }

  private async *blobChunks(
    repository: string,
    descriptor: Descriptor,
    what: string,
    options: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): AsyncGenerator<Buffer> {
    const algorithm = digestAlgorithm(descriptor.digest);
    const hash = createHash(algorithm);
    let received = 0;
    let faults = 0;
    const fault = async (reason: string, cause?: unknown): Promise<void> => {
      faults++;
      if (faults >= this.retry.attempts) {
        throw new RegistryError(
          `${what} could not be downloaded: ${reason} after ${received} of ${descriptor.size} bytes`,
          {
            cause,
            hint: 'the registry or the network keeps failing; try again later',
          },
        );
      }
      this.log?.debug(
        { digest: descriptor.digest, received, size: descriptor.size, reason },
        'Resume blob download',
      );
      await backoff(faults, this.retry, this.log, what);
    };
    for (;;) {
      let response: HttpResponse;
      try {
        response = await this.request(`${repository}/blobs/${descriptor.digest}`, {
          scope: `repository:${repository}:pull`,
          ...(received > 0 ? { headers: { range: `bytes=${received}-` } } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          what,
        });
      } catch (error) {
        if (received > 0 && error instanceof RegistryError && !(error instanceof RegistryDeadlineError)) {
          await fault(error.message, error);
          continue;
        }
        throw error;
      }
      let skip = 0;
      if (response.status === 206 && received > 0) {
        const start = /^bytes (\d+)-/.exec(response.header('content-range') ?? '')?.[1];
        if (Number(start) !== received) {
          await response.body.dump();
          throw new RegistryError(
            `${what}: the registry resumed at byte ${start ?? '?'} instead of ${received}`,
          );
        }
      } else if (response.status === 200) {
        // A registry that ignores Range sends everything again: skip what we have.
        skip = received;
      } else if (response.status === 416 && received > 0) {
        await response.body.dump();
        throw new RegistryError(
          `${what} is truncated: the registry has ${received} of its ${descriptor.size} bytes`,
          {
            hint: 'the blob in the registry is damaged; push the image again',
          },
        );
      } else {
        throw await this.failure(response, what, repository);
      }
      try {
        for await (const raw of watchedChunks(response.body, this.http.timeouts.stall)) {
          let chunk = raw;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          if (received + chunk.length > descriptor.size) {
            response.body.destroy();
            throw new RegistryError(
              `${what} is larger than the ${descriptor.size} bytes its descriptor says`,
              {
                hint: 'the registry sent a different blob; it may be corrupt',
              },
            );
          }
          hash.update(chunk);
          received += chunk.length;
          options.onBytes?.(chunk.length);
          yield chunk;
        }
      } catch (error) {
        if (error instanceof RegistryError || options.signal?.aborted) throw error;
        const deadline = this.deadlineError(error, what);
        if (deadline) throw deadline;
        await fault(`${(error as Error).message}`, error);
        continue;
      }
      if (received < descriptor.size) {
        await fault(`the connection ended early (truncated)`);
        continue;
      }
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== descriptor.digest) {
        throw new RegistryError(
          `${what} does not match its digest: expected ${descriptor.digest}, got ${actual}`,
          {
            hint: 'the blob in the registry is corrupt, or something altered it on the way',
          },
        );
      }
      return;
    }
  }

  /** Whether stored credentials (not an identity token) are sent to this registry. */
  usesCredentials(): Promise<boolean> {
    return this.auth.usedCredentials(this.endpoint);
  }

  /** GET /v2/: whether the registry answers, and with which credentials it lets us in. */
  async ping(): Promise<void> {
    const response = await this.request('', { scope: '' });
    if (response.status === 401) {
      await response.body.dump();
      throw new RegistryError(`login to ${this.endpoint.host} failed: incorrect username or password`);
    }
    if (response.status !== 200) throw await this.failure(response, `the API of ${this.endpoint.host}`, '');
    await response.body.dump();
  }
}
