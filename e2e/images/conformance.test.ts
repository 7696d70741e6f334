import { statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ImageReference, hostPlatform, type Digest } from '@koker/core';
import { describeImageSource } from '@koker/core/testing';
import { OciRegistrySource } from '@koker/registry-oci';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';

// The ImageSource contract against Debian's docker-registry on loopback: busybox (Docker schema
// 2), the multi-arch OCI index, and a copy of busybox in a writable registry with its layer damaged.
let registry: FixtureRegistry;
let writable: FixtureRegistry;
let damagedLayer: Digest;

beforeAll(async () => {
  registry = await fixtureRegistry();
  writable = await fixtureRegistry({ writable: true });
  await writable.push('busybox', 'damaged:latest');
  damagedLayer = writable.built.busybox.layers[0] as Digest;
  const hex = damagedLayer.slice('sha256:'.length);
  const file = join(writable.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  writeFileSync(file, randomBytes(statSync(file).size));
});

afterAll(async () => {
  await registry?.stop();
  await writable?.stop();
});

describeImageSource(
  { describe, it },
  {
    name: 'oci-registry against the fixture registry',
    create: () => {
      const source = new OciRegistrySource({ dockerConfig: '/nonexistent/config.json' });
      return {
        source,
        platform: hostPlatform(),
        image: ImageReference.parse(registry.images.busybox),
        index: ImageReference.parse(registry.images.multiarch),
        missingTag: ImageReference.parse(`${registry.host}/busybox:no-such-tag`),
        damaged: { reference: ImageReference.parse(`${writable.host}/damaged:latest`), layer: damagedLayer },
        dispose: () => source.close(),
      };
    },
  },
);
