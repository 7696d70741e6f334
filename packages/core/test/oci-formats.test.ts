import { describe, expect, it } from 'vitest';
import {
  ImageFormatError,
  MediaTypes,
  chainIds,
  parseDigest,
  parseImageConfig,
  parseManifest,
  selectPlatform,
  type PlatformDescriptor,
} from '../src/index.js';

const digest = (c: string) => parseDigest(`sha256:${c.repeat(64)}`);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseManifest', () => {
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifest,
    config: { mediaType: MediaTypes.dockerConfig, digest: digest('a'), size: 10 },
    layers: [{ mediaType: MediaTypes.dockerLayerGzip, digest: digest('b'), size: 20 }],
  };

  it('reads Docker schema 2 and OCI manifests and indexes', () => {
    const parsed = parseManifest(json(manifest), undefined, 'm');
    expect(parsed).toMatchObject({ kind: 'manifest', config: { digest: digest('a') } });
    const { mediaType: _dropped, ...withoutType } = manifest;
    // OCI lets mediaType be absent; the Content-Type (or the shape) tells then.
    expect(
      parseManifest(
        json({ ...withoutType, config: { ...manifest.config, mediaType: MediaTypes.ociConfig } }),
        MediaTypes.ociManifest,
        'm',
      ).kind,
    ).toBe('manifest');
    const index = parseManifest(
      json({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MediaTypes.ociManifest,
            digest: digest('c'),
            size: 5,
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      }),
      undefined,
      'i',
    );
    expect(index).toMatchObject({
      kind: 'index',
      manifests: [{ platform: { architecture: 'arm64', variant: 'v8' } }],
    });
  });

  it('refuses schema 1, unknown media types, bad JSON and bad descriptors with the reason', () => {
    expect(() => parseManifest(json({ schemaVersion: 1, name: 'x' }), undefined, 'manifest for x')).toThrow(
      'manifest for x is a Docker schema 1 manifest, which koker does not support',
    );
    expect(() => parseManifest(json(manifest), MediaTypes.dockerSchema1Signed, 'm')).toThrow(/schema 1/);
    expect(() => parseManifest(Buffer.from('{"schemaVersion": 2,'), undefined, 'manifest for x')).toThrow(
      /^malformed manifest for x: not JSON/,
    );
    expect(() =>
      parseManifest(json({ ...manifest, mediaType: 'application/vnd.example+json' }), undefined, 'm'),
    ).toThrow('unsupported media type "application/vnd.example+json" of m');
    expect(() =>
      parseManifest(
        json({ ...manifest, layers: [{ ...manifest.layers[0], mediaType: 'application/x-foo' }] }),
        undefined,
        'm',
      ),
    ).toThrow('unsupported layer media type "application/x-foo" in m');
    expect(() =>
      parseManifest(
        json({
          ...manifest,
          config: { ...manifest.config, mediaType: 'application/vnd.cncf.helm.config.v1+json' },
        }),
        undefined,
        'm',
      ),
    ).toThrow(/not a container image/);
    expect(() =>
      parseManifest(
        json({ ...manifest, layers: [{ ...manifest.layers[0], digest: 'md5:abc' }] }),
        undefined,
        'm',
      ),
    ).toThrow(ImageFormatError);
    expect(() =>
      parseManifest(json({ ...manifest, layers: [{ ...manifest.layers[0], size: -1 }] }), undefined, 'm'),
    ).toThrow(/not a byte count/);
  });
});

describe('selectPlatform', () => {
  const entry = (architecture: string, variant?: string, os = 'linux'): PlatformDescriptor => ({
    mediaType: MediaTypes.ociManifest,
    digest: digest(architecture === 'amd64' ? 'a' : architecture === 'arm64' ? 'b' : 'c'),
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const entries = [
    entry('unknown', undefined, 'unknown'),
    entry('arm64', 'v8'),
    entry('arm', 'v7'),
    entry('amd64'),
  ];

  it('finds the host wherever it is listed, with default variants', () => {
    expect(selectPlatform(entries, { os: 'linux', architecture: 'amd64' }, 'i').digest).toBe(digest('a'));
    expect(selectPlatform(entries, { os: 'linux', architecture: 'arm64' }, 'i').digest).toBe(digest('b'));
    expect(
      selectPlatform([entry('arm64')], { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'i').digest,
    ).toBe(digest('b'));
  });

  it('names the platforms there are when none matches', () => {
    expect(() => selectPlatform(entries, { os: 'linux', architecture: 's390x' }, 'the index of x')).toThrow(
      'no matching manifest for linux/s390x in the index of x (it has linux/arm64/v8, linux/arm/v7, linux/amd64)',
    );
  });
});

describe('image configs and chain IDs', () => {
  it('reads what a run needs and the diff IDs', () => {
    const facts = parseImageConfig(
      json({
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: {
          Env: ['A=1'],
          Cmd: ['sh'],
          Entrypoint: null,
          WorkingDir: '/w',
          User: '1000',
          StopSignal: 'SIGQUIT',
        },
        rootfs: { type: 'layers', diff_ids: [digest('1'), digest('2')] },
      }),
      'c',
    );
    expect(facts.config).toEqual({
      Env: ['A=1'],
      Cmd: ['sh'],
      Entrypoint: null,
      WorkingDir: '/w',
      User: '1000',
      StopSignal: 'SIGQUIT',
    });
    expect(facts.diffIds).toEqual([digest('1'), digest('2')]);
    expect(() => parseImageConfig(json({ rootfs: { type: 'x' } }), 'config c')).toThrow(
      /^malformed config c: rootfs/,
    );
  });

  it('chains diff IDs as the OCI spec says', () => {
    // ChainID(L1|L2) = sha256(ChainID(L1) + " " + DiffID(L2)); checked against sha256sum.
    const ids = chainIds([digest('1'), digest('2')]);
    expect(ids[0]).toBe(digest('1'));
    expect(ids[1]).toBe('sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5');
  });
});
