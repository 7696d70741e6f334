import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { craftedRegistry, type CraftedRegistry } from '../fixtures/crafted-registry.js';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { freePort } from '../fixtures/registry.js';
import { tempRoot, type TempRoot } from './image-helpers.js';

/** The data file of a blob in docker-registry's filesystem storage. */
function blobFile(storage: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

describe('bad input: a clear message, exit 1, nothing stored', () => {
  let registry: FixtureRegistry;
  let crafted: CraftedRegistry;
  let root: TempRoot;

  beforeAll(async () => {
    registry = await fixtureRegistry();
    const manifest = (config: string, layer: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: config, digest: `sha256:${'a'.repeat(64)}`, size: 2 },
        layers: [{ mediaType: layer, digest: `sha256:${'b'.repeat(64)}`, size: 2 }],
      });
    crafted = await craftedRegistry({
      malformed: {
        body: '{"schemaVersion": 2, "layers": [',
        type: 'application/vnd.oci.image.manifest.v1+json',
      },
      schema1: {
        body: JSON.stringify({ schemaVersion: 1, name: 'schema1', tag: 'latest', fsLayers: [], history: [] }),
        type: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
      },
      helm: {
        body: manifest(
          'application/vnd.cncf.helm.config.v1+json',
          'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        ),
        type: 'application/vnd.oci.image.manifest.v1+json',
      },
      weird: {
        body: manifest('application/vnd.oci.image.config.v1+json', 'application/vnd.example.layer.v1+lz4'),
        type: 'application/vnd.oci.image.manifest.v1+json',
      },
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await crafted?.stop();
  });
  beforeAll(async () => {
    root = await tempRoot('bad-input');
  });
  afterAll(() => root?.remove());
  afterEach(async () => {
    // Nothing of a failed pull is listed, and no work is left behind.
    expect((await root.run(['images', '-q'])).stdout).toBe('');
    expect(root.entries('images/sha256')).toEqual([]);
    expect(root.entries('tmp')).toEqual([]);
  });

  const expectFailure = async (args: string[], message: string | RegExp) => {
    const result = await root.run(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    if (typeof message === 'string') expect(result.stderr).toContain(`koker: ${message}`);
    else expect(result.stderr).toMatch(message);
    return result;
  };

  it('an unknown tag or repository', async () => {
    await expectFailure(
      ['pull', `${registry.host}/busybox:nope`],
      `manifest for ${registry.host}/busybox:nope not found: manifest unknown`,
    );
    // docker-registry answers MANIFEST_UNKNOWN for a repository it does not have either.
    await expectFailure(
      ['pull', `${registry.host}/nothing-here`],
      `manifest for ${registry.host}/nothing-here:latest not found`,
    );
  });

  it('an invalid reference', async () => {
    await expectFailure(['pull', 'Busy Box'], 'invalid reference "Busy Box": it contains white space');
    await expectFailure(
      ['pull', `${registry.host}/BusyBox`],
      /invalid reference ".*BusyBox": repository name "BusyBox" must be lower-case/,
    );
    await expectFailure(['pull', 'busybox@sha256:123'], /invalid reference "busybox@sha256:123": bad digest/);
  });

  it('a registry that is down', async () => {
    const port = await freePort();
    await expectFailure(['pull', `127.0.0.1:${port}/busybox`], `cannot reach registry 127.0.0.1:${port}`);
  });

  it('a malformed manifest, schema 1, a config or layer of an unsupported media type', async () => {
    await expectFailure(
      ['pull', `${crafted.host}/malformed`],
      `malformed manifest for ${crafted.host}/malformed:latest: not JSON`,
    );
    const schema1 = await expectFailure(
      ['pull', `${crafted.host}/schema1`],
      `manifest for ${crafted.host}/schema1:latest is a Docker schema 1 manifest, which koker does not support`,
    );
    expect(schema1.stderr).toContain('hint: schema 1 was deprecated');
    await expectFailure(
      ['pull', `${crafted.host}/helm`],
      /unsupported media type "application\/vnd\.cncf\.helm\.config\.v1\+json" of the config/,
    );
    await expectFailure(
      ['pull', `${crafted.host}/weird`],
      'unsupported layer media type "application/vnd.example.layer.v1+lz4"',
    );
  });

  describe('damaged blobs in a real registry', () => {
    let writable: FixtureRegistry;
    beforeAll(async () => {
      writable = await fixtureRegistry({ writable: true });
      await writable.push('layered', 'corrupt:latest');
      await writable.push('zstd', 'truncated:latest');
    });
    afterAll(() => writable?.stop());

    it('a layer whose bytes do not match its digest', async () => {
      const layer = writable.built.layered.layers[2] as string;
      const file = blobFile(writable.storage, layer);
      writeFileSync(file, randomBytes(statSync(file).size));
      await expectFailure(
        ['pull', `${writable.host}/corrupt`],
        `layer ${layer} of ${writable.host}/corrupt:latest does not match its digest: expected ${layer}, got sha256:`,
      );
      // The base layer (intact) may be stored, but never the damaged one, nor the image.
      const layers = readdirSync(join(root.dir, 'images/blobs/sha256'));
      expect(layers).not.toContain(layer.slice(7));
    });

    it('a truncated layer', async () => {
      // The marker layer: the base layer may be in the store already (same diff ID as busybox).
      const layer = writable.built.zstd.layers[1] as string;
      const file = blobFile(writable.storage, layer);
      truncateSync(file, Math.floor(statSync(file).size / 2));
      await expectFailure(
        ['pull', `${writable.host}/truncated`],
        new RegExp(`koker: layer ${layer} of .*truncated.* is truncated`),
      );
    });
  });
});
