import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';

// The fixtures other tests build on: a real registry serving images made from Debian packages.
describe('the fixture registry', () => {
  let registry: FixtureRegistry;
  beforeAll(async () => {
    registry = await fixtureRegistry();
  });
  afterAll(() => registry?.stop());

  it('serves busybox as Docker schema 2 with Cmd ["sh"]', async () => {
    const response = await fetch(`${registry.url}/v2/busybox/manifests/latest`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(response.headers.get('docker-content-digest')).toBe(registry.built.busybox.digest);
    const manifest = (await response.json()) as { config: { digest: string } };
    // skopeo's conversion to schema 2 keeps the config: the same image ID as busybox:oci.
    expect(manifest.config.digest).toBe(registry.built.busybox.id);
    expect(registry.built.busyboxOci.id).toBe(registry.built.busybox.id);
    const config = (await (
      await fetch(`${registry.url}/v2/busybox/blobs/${manifest.config.digest}`)
    ).json()) as {
      config: { Cmd: string[] };
    };
    expect(config.config.Cmd).toEqual(['sh']);
  });

  it('serves the multi-arch index with this host last', async () => {
    const response = await fetch(`${registry.url}/v2/multiarch/manifests/latest`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    const index = (await response.json()) as { manifests: { platform: { architecture: string } }[] };
    expect(index.manifests.length).toBeGreaterThan(2);
    expect(index.manifests.at(-1)?.platform.architecture).toBe(process.arch === 'x64' ? 'amd64' : 'arm64');
  });

  it('keeps uncompressed and zstd layers as they were built', async () => {
    for (const [name, suffix] of [
      ['uncompressed', '.tar'],
      ['zstd', '.tar+zstd'],
    ] as const) {
      const response = await fetch(`${registry.url}/v2/${name}/manifests/latest`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const manifest = (await response.json()) as { layers: { mediaType: string }[] };
      expect(manifest.layers[0]?.mediaType).toBe(`application/vnd.oci.image.layer.v1${suffix}`);
    }
  });
});

describe('the large fixture', () => {
  it('is at least 100 MB in several layers', async () => {
    const registry = await fixtureRegistry({ large: true });
    try {
      const response = await fetch(`${registry.url}/v2/large/manifests/latest`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const manifest = (await response.json()) as { layers: { size: number }[] };
      expect(manifest.layers.length).toBe(5);
      expect(manifest.layers.reduce((sum, l) => sum + l.size, 0)).toBeGreaterThan(50 * 1024 * 1024);
    } finally {
      await registry.stop();
    }
  });
});

describe('fixture registries with authentication', () => {
  it('asks for Basic credentials with htpasswd', async () => {
    const registry = await fixtureRegistry({ auth: 'basic' });
    try {
      const anonymous = await fetch(`${registry.url}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      const basic = Buffer.from(
        `${registry.credentials?.username}:${registry.credentials?.password}`,
      ).toString('base64');
      expect(
        (await fetch(`${registry.url}/v2/`, { headers: { authorization: `Basic ${basic}` } })).status,
      ).toBe(200);
    } finally {
      await registry.stop();
    }
  });

  it('hands out Bearer tokens the registry accepts', async () => {
    const registry = await fixtureRegistry({ auth: 'token' });
    try {
      const challenge = await fetch(`${registry.url}/v2/busybox/manifests/latest`);
      expect(challenge.status).toBe(401);
      const header = challenge.headers.get('www-authenticate') ?? '';
      expect(header).toMatch(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="koker-e2e-registry"/);
      const realm = /realm="([^"]+)"/.exec(header)?.[1] ?? '';
      const tokenResponse = await fetch(`${realm}?service=koker-e2e-registry&scope=repository:busybox:pull`);
      const { token } = (await tokenResponse.json()) as { token: string };
      const manifest = await fetch(`${registry.url}/v2/busybox/manifests/latest`, {
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/vnd.docker.distribution.manifest.v2+json',
        },
      });
      expect(manifest.status).toBe(200);
      expect(registry.tokenRequests).toEqual([{ scope: ['repository:busybox:pull'], anonymous: true }]);
    } finally {
      await registry.stop();
    }
  });
});
