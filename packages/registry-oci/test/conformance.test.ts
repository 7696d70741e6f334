import { describe, it } from 'vitest';
import { ImageReference, type Digest } from '@koker/core';
import { describeImageSource } from '@koker/core/testing';
import { OciRegistrySource } from '../src/index.js';
import { FakeRegistry, publish } from './fake-registry.js';

// The ImageSource contract against the in-process registry (the e2e suite runs it against
// Debian's docker-registry): an index and its amd64 manifest, and a layer served corrupted.
describeImageSource(
  { describe, it },
  {
    name: 'oci-registry against a fake registry',
    create: async () => {
      const registry = new FakeRegistry();
      await registry.start();
      publish(registry, 'app');
      const damaged = publish(registry, 'damaged');
      registry.faults.set(damaged.layer.digest, 'corrupt');
      const source = new OciRegistrySource({ dockerConfig: '/nonexistent/config.json' });
      const ref = (name: string) => ImageReference.parse(`${registry.host}/${name}`);
      return {
        source,
        platform: { os: 'linux', architecture: 'amd64' },
        image: ref('app:amd64-only'),
        index: ref('app:latest'),
        missingTag: ref('app:nonexistent'),
        damaged: { reference: ref('damaged:amd64-only'), layer: damaged.layer.digest as Digest },
        dispose: async () => {
          await source.close();
          await registry.stop();
        },
      };
    },
  },
);
