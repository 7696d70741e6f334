import { type Readable } from 'node:stream';
import {
  ImageFormatError,
  KokerError,
  formatPlatform,
  parseManifest,
  selectPlatform,
  type BlobOptions,
  type Descriptor,
  type ImageReference,
  type ImageSource,
  type Logger,
  type ManifestBlob,
  type Platform,
  type ResolveOptions,
  type ResolvedImage,
  type RegistryTimeouts,
} from '@koker/core';
import { Authenticator } from './auth/authenticator.js';
import { DockerCredentialStore, type Credentials } from './auth/docker-config.js';
import { endpointsFor, type Endpoint } from './endpoints.js';
import { HttpClient } from './http.js';
import { RegistryClient } from './registry-client.js';
import { pushImage, type ImageToPush, type PushOptions, type PushResult } from './push/push-image.js';

export interface OciRegistryOptions {
  /** Mirrors tried before Docker Hub for docker.io images. */
  readonly mirrors?: readonly string[];
  /** Registries reached over plain HTTP (loopback always is). */
  readonly insecure?: readonly string[];
  /** Path of Docker's config.json (credentials). */
  readonly dockerConfig?: string;
  readonly log?: Logger;
  /** Connect, idle and stall deadlines of every transfer (DEFAULT_REGISTRY_TIMEOUTS). */
  readonly timeouts?: RegistryTimeouts;
}

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The OCI distribution protocol: Docker Hub and any v2 registry, through mirrors for docker.io. */
export class OciRegistrySource implements ImageSource {
  readonly name = 'oci-registry';
  private readonly http: HttpClient;
  private readonly auth: Authenticator;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(
    private readonly options: OciRegistryOptions = {},
    override?: { host: string; credentials: Credentials },
  ) {
    this.http = new HttpClient(options.log, undefined, options.timeouts);
    this.auth = new Authenticator(
      this.http,
      new DockerCredentialStore(options.dockerConfig, options.log),
      options.log,
      override,
    );
  }

  private client(endpoint: Endpoint): RegistryClient {
    let client = this.clients.get(endpoint.url);
    if (!client) {
      client = new RegistryClient(endpoint, this.http, this.auth, this.options.log);
      this.clients.set(endpoint.url, client);
    }
    return client;
  }

  endpoints(registry: string): Endpoint[] {
    return endpointsFor(registry, {
      mirrors: this.options.mirrors ?? [],
      insecure: this.options.insecure ?? [],
    });
  }

  async resolve(
    reference: ImageReference,
    platform: Platform,
    options: ResolveOptions = {},
  ): Promise<ResolvedImage> {
    const endpoints = this.endpoints(reference.registry);
    for (const [i, endpoint] of endpoints.entries()) {
      try {
        return await this.resolveAt(this.client(endpoint), reference, platform, options);
      } catch (error) {
        const last = i === endpoints.length - 1;
        // A mirror that fails (down, or without the image) is skipped; format errors are final.
        if (!endpoint.mirror || last || error instanceof ImageFormatError || !(error instanceof KokerError))
          throw error;
        this.options.log?.warn(
          { mirror: endpoint.url, error: error.message },
          'Registry mirror failed, trying the next',
        );
      }
    }
    throw new Error('no registry endpoint'); // unreachable: endpointsFor always returns the registry
  }

  private async resolveAt(
    client: RegistryClient,
    reference: ImageReference,
    platform: Platform,
    options: ResolveOptions,
  ): Promise<ResolvedImage> {
    const repository = reference.repository;
    const what = `manifest for ${reference.toFamiliarString()}`;
    const top = await client.manifest(repository, reference.manifestReference, what, options.signal);
    const parsedTop = parseManifest(top.bytes, top.contentType, what);
    let index: ManifestBlob | undefined;
    let manifest: ManifestBlob;
    let parsed = parsedTop;
    if (parsedTop.kind === 'index') {
      index = { mediaType: parsedTop.mediaType, digest: top.digest, bytes: top.bytes };
      const entry = selectPlatform(
        parsedTop.manifests,
        platform,
        `the index of ${reference.toFamiliarString()}`,
      );
      this.options.log?.debug(
        { digest: entry.digest, platform: formatPlatform(entry.platform ?? platform) },
        'Select platform manifest',
      );
      const childWhat = `manifest ${entry.digest} (${formatPlatform(platform)}) of ${reference.toFamiliarString()}`;
      const child = await client.manifest(repository, entry.digest, childWhat, options.signal);
      parsed = parseManifest(child.bytes, child.contentType ?? entry.mediaType, childWhat);
      if (parsed.kind !== 'manifest') throw new ImageFormatError(`${childWhat} is an index inside an index`);
      manifest = { mediaType: parsed.mediaType, digest: child.digest, bytes: child.bytes };
    } else {
      manifest = { mediaType: parsedTop.mediaType, digest: top.digest, bytes: top.bytes };
    }
    if (parsed.kind !== 'manifest') throw new ImageFormatError(`${what} is not an image manifest`);
    // A config is read whole into memory: a descriptor claiming gigabytes is refused up front.
    if (parsed.config.size > MAX_CONFIG_BYTES) {
      throw new ImageFormatError(
        `the config of ${reference.toFamiliarString()} is ${parsed.config.size} bytes, more than the ${MAX_CONFIG_BYTES} koker accepts`,
      );
    }
    const configBytes = await client.blobBytes(
      repository,
      parsed.config,
      `config ${parsed.config.digest} of ${reference.toFamiliarString()}`,
      options.signal,
    );
    return {
      reference,
      manifestDigest: manifest.digest,
      topDigest: top.digest,
      manifest,
      ...(index ? { index } : {}),
      config: parsed.config,
      configBytes,
      layers: parsed.layers,
      platform,
      endpoint: client.endpoint.url,
    };
  }

  async openBlob(image: ResolvedImage, descriptor: Descriptor, options: BlobOptions = {}): Promise<Readable> {
    const endpoint =
      this.endpoints(image.reference.registry).find((e) => e.url === image.endpoint) ??
      (this.endpoints(image.reference.registry).at(-1) as Endpoint);
    return this.client(endpoint).blob(
      image.reference.repository,
      descriptor,
      `layer ${descriptor.digest} of ${image.reference.toFamiliarString()}`,
      options,
    );
  }

  /**
   * Pushes an image to `registry` (docker.io goes to Docker Hub itself, never a mirror): layers,
   * config, then the manifest under `options.tag` of `options.repository`.
   */
  async push(registry: string, image: ImageToPush, options: PushOptions): Promise<PushResult> {
    const endpoint = this.endpoints(registry).at(-1) as Endpoint;
    return pushImage(this.client(endpoint), image, { ...options, log: options.log ?? this.options.log });
  }

  /** Checks that the registry lets these credentials in (`koker login`). */
  async checkLogin(registry: string): Promise<void> {
    const endpoint = this.endpoints(registry).at(-1) as Endpoint;
    await this.client(endpoint).ping();
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
