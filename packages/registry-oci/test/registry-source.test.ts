import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageReference, MediaTypes, NotFoundError, RegistryError, type ResolvedImage } from '@koker/core';
import { DockerCredentialStore, OciRegistrySource } from '../src/index.js';
import { parseChallenge } from '../src/auth/challenge.js';
import { endpointsFor } from '../src/endpoints.js';
import { FakeRegistry, publish } from './fake-registry.js';

const amd64 = { os: 'linux', architecture: 'amd64' };

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('OciRegistrySource', () => {
  let registry: FakeRegistry;
  let dir: string;
  const source = (options: { dockerConfig?: string; mirrors?: string[] } = {}) =>
    new OciRegistrySource({
      dockerConfig: options.dockerConfig ?? join(dir, 'config.json'),
      mirrors: options.mirrors ?? [],
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koker-registry-test-'));
  });
  afterEach(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves an index to this platform and streams verified blobs, with one anonymous token per scope', async () => {
    registry = new FakeRegistry({ auth: 'bearer' });
    await registry.start();
    const image = publish(registry, 'app');
    const oci = source();
    const resolved = await oci.resolve(ImageReference.parse(`${registry.host}/app`), amd64);
    expect(resolved.topDigest).toBe(image.indexDigest);
    expect(resolved.manifestDigest).toBe(image.manifestDigest);
    expect(Buffer.from(resolved.configBytes).equals(image.config)).toBe(true);
    expect(resolved.index?.digest).toBe(image.indexDigest);
    const bytes = await drain(await oci.openBlob(resolved, resolved.layers[0]!));
    expect(bytes.equals(image.layerBytes)).toBe(true);
    expect(registry.tokenRequests).toEqual([{ scope: 'repository:app:pull' }]);
    await oci.close();
  });

  it('resumes a cut download with a Range request, or skips ahead when Range is ignored', async () => {
    registry = new FakeRegistry();
    await registry.start();
    for (const fault of ['cut-once', 'ignore-range'] as const) {
      const image = publish(registry, `app-${fault}`);
      registry.faults.set(image.layer.digest, fault);
      const oci = source();
      const resolved = await oci.resolve(
        ImageReference.parse(`${registry.host}/app-${fault}:amd64-only`),
        amd64,
      );
      let counted = 0;
      const bytes = await drain(
        await oci.openBlob(resolved, resolved.layers[0]!, { onBytes: (n) => (counted += n) }),
      );
      expect(bytes.equals(image.layerBytes)).toBe(true);
      expect(counted).toBe(image.layerBytes.length);
      await oci.close();
    }
    expect(registry.requests.filter((r) => r.includes('bytes='))).toHaveLength(2);
  });

  it('fails a blob whose bytes do not match, or that keeps being cut', async () => {
    registry = new FakeRegistry();
    await registry.start();
    const corrupt = publish(registry, 'corrupt');
    registry.faults.set(corrupt.layer.digest, 'corrupt');
    const oci = source();
    const resolved = await oci.resolve(ImageReference.parse(`${registry.host}/corrupt:amd64-only`), amd64);
    await expect(drain(await oci.openBlob(resolved, resolved.layers[0]!))).rejects.toThrow(
      `layer ${corrupt.layer.digest} of ${registry.host}/corrupt:amd64-only does not match its digest`,
    );
    const cut = publish(registry, 'cut');
    registry.faults.set(cut.layer.digest, 'cut-always');
    const cutResolved = await oci.resolve(ImageReference.parse(`${registry.host}/cut:amd64-only`), amd64);
    await expect(drain(await oci.openBlob(cutResolved, cutResolved.layers[0]!))).rejects.toThrow(
      /could not be downloaded: .* after \d+ of 200000 bytes/,
    );
    await oci.close();
  });

  it('says what is wrong: unknown tag, schema 1, malformed manifest, registry down', async () => {
    registry = new FakeRegistry();
    await registry.start();
    const oci = source();
    await expect(oci.resolve(ImageReference.parse(`${registry.host}/app:nope`), amd64)).rejects.toThrow(
      NotFoundError,
    );
    await expect(oci.resolve(ImageReference.parse(`${registry.host}/app:nope`), amd64)).rejects.toThrow(
      `manifest for ${registry.host}/app:nope not found: manifest unknown: manifest unknown`,
    );
    registry.addManifest(
      'old',
      'latest',
      { schemaVersion: 1, name: 'old', fsLayers: [] },
      MediaTypes.dockerSchema1Signed,
    );
    await expect(oci.resolve(ImageReference.parse(`${registry.host}/old`), amd64)).rejects.toThrow(
      `manifest for ${registry.host}/old:latest is a Docker schema 1 manifest, which koker does not support`,
    );
    registry.manifests.set('broken/latest', {
      body: Buffer.from('{"schemaVersion":2,'),
      type: MediaTypes.ociManifest,
    });
    await expect(oci.resolve(ImageReference.parse(`${registry.host}/broken`), amd64)).rejects.toThrow(
      /^malformed manifest for .*\/broken:latest: not JSON/,
    );
    await oci.close();
    await registry.stop();
    const down = source();
    await expect(down.resolve(ImageReference.parse(`${registry.host}/app`), amd64)).rejects.toThrow(
      new RegExp(
        `^cannot reach registry ${registry.host.replace('.', '\\.')} .*: connection refused \\(ECONNREFUSED\\)$`,
      ),
    );
    await down.close();
  });

  it('uses credentials from the Docker config (auths, credHelpers) and reports wrong ones', async () => {
    registry = new FakeRegistry({ auth: 'bearer', users: { alice: 'secret' } });
    await registry.start();
    publish(registry, 'private');
    const configPath = join(dir, 'config.json');
    const store = new DockerCredentialStore(configPath);
    await store.store(registry.host, { username: 'alice', secret: 'secret' });
    const saved = JSON.parse(await readFile(configPath, 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(saved.auths[registry.host]!.auth, 'base64').toString()).toBe('alice:secret');
    const oci = source({ dockerConfig: configPath });
    await oci.resolve(ImageReference.parse(`${registry.host}/private`), amd64);
    expect(registry.tokenRequests.at(-1)).toEqual({ scope: 'repository:private:pull', user: 'alice' });
    await oci.close();

    // A credential helper program, as docker-credential-* helpers work.
    const bin = join(dir, 'bin');
    await (await import('node:fs/promises')).mkdir(bin);
    await writeFile(
      join(bin, 'docker-credential-koker-test'),
      `#!/bin/sh\nread server\n[ "$1" = get ] && printf '{"ServerURL":"%s","Username":"alice","Secret":"wrong"}' "$server"\n`,
    );
    await chmod(join(bin, 'docker-credential-koker-test'), 0o755);
    await writeFile(configPath, JSON.stringify({ credHelpers: { [registry.host]: 'koker-test' } }));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const helped = source({ dockerConfig: configPath });
      await expect(helped.resolve(ImageReference.parse(`${registry.host}/private`), amd64)).rejects.toThrow(
        `login to ${registry.host} failed for user "alice": incorrect username or password`,
      );
      await helped.close();
      // The helper knows nothing to erase, and auths holds nothing more.
      expect(await store.erase(registry.host)).toBe(false);
    } finally {
      process.env.PATH = path;
    }
  });

  it('goes through docker.io mirrors in order, skipping one that is down', async () => {
    registry = new FakeRegistry();
    await registry.start();
    publish(registry, 'library/busybox');
    const oci = source({ mirrors: ['http://127.0.0.1:1', registry.url] });
    const resolved: ResolvedImage = await oci.resolve(ImageReference.parse('busybox'), amd64);
    expect(resolved.endpoint).toBe(registry.url);
    expect((await drain(await oci.openBlob(resolved, resolved.layers[0]!))).length).toBe(200_000);
    await oci.close();
  });
});

describe('Authenticator', () => {
  it('never sends credentials of an HTTPS registry to a plain-HTTP token service', async () => {
    const { Authenticator } = await import('../src/auth/authenticator.js');
    const { HttpClient } = await import('../src/http.js');
    const store = {
      get: async () => ({ username: 'alice', secret: 'secret' }),
    } as unknown as DockerCredentialStore;
    const auth = new Authenticator(new HttpClient(), store);
    const endpoint = { url: 'https://registry.example', host: 'registry.example', mirror: false };
    await expect(
      auth.answer(
        endpoint,
        'Bearer realm="http://auth.example/token",service="registry"',
        'repository:app:pull',
      ),
    ).rejects.toThrow(
      'registry.example names a token service over plain HTTP (http://auth.example): koker will not send credentials there',
    );
  });
});

describe('registry plumbing', () => {
  it('parses challenges as Docker Hub and distribution send them', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/busybox:pull',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge('Negotiate')).toBeUndefined();
  });

  it('uses HTTPS except for loopback and insecure registries, mirrors first for docker.io', () => {
    expect(
      endpointsFor('docker.io', { mirrors: ['mirror.example:5000'], insecure: [] }).map((e) => e.url),
    ).toEqual(['https://mirror.example:5000', 'https://registry-1.docker.io']);
    expect(endpointsFor('127.0.0.1:5000', { mirrors: [], insecure: [] })[0]?.url).toBe(
      'http://127.0.0.1:5000',
    );
    expect(endpointsFor('localhost:5000', { mirrors: [], insecure: [] })[0]?.url).toBe(
      'http://localhost:5000',
    );
    expect(endpointsFor('[::1]:5000', { mirrors: [], insecure: [] })[0]?.url).toBe('http://[::1]:5000');
    expect(endpointsFor('reg.lan:5000', { mirrors: [], insecure: ['reg.lan:5000'] })[0]?.url).toBe(
      'http://reg.lan:5000',
    );
    expect(endpointsFor('quay.io', { mirrors: ['m.example'], insecure: [] }).map((e) => e.url)).toEqual([
      'https://quay.io',
    ]);
  });
});

void RegistryError;
