import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOSTILE_CASES,
  hostileRegistry,
  type HostileCase,
  type HostileRegistry,
} from '../fixtures/hostile-registry.js';
import { tempRoot, type TempRoot } from './image-helpers.js';

// Short deadlines for the test (the defaults are 15/30/120 s): each hostile registry must end the
// pull with 125 within them, with a message naming the registry, what it was sending and the
// deadline, and leave nothing in the store.
const DEADLINES = {
  KOKER_REGISTRY_CONNECT_TIMEOUT: '2',
  KOKER_REGISTRY_IDLE_TIMEOUT: '1',
  KOKER_REGISTRY_STALL_TIMEOUT: '2',
};

let registry: HostileRegistry;
let root: TempRoot;
beforeAll(async () => {
  registry = await hostileRegistry({ dripMs: 100 });
  root = await tempRoot('hostile');
});
afterAll(async () => {
  await registry?.stop();
  await root?.remove();
});

function expectations(name: HostileCase): RegExp {
  const host = registry.host.replace(/\./g, '\\.');
  const image = `${host}/${name}:latest`;
  const layer = `layer ${registry.layerDigest} of ${image}`;
  switch (name) {
    case 'drip-blob':
      return new RegExp(
        `^koker: registry ${host} moved less than 1024 bytes in 2 s while sending ${layer} \\(the stall deadline\\)$`,
        'm',
      );
    case 'drip-manifest':
      return new RegExp(
        `^koker: registry ${host} moved less than 1024 bytes in 2 s while sending manifest for ${image} \\(the stall deadline\\)$`,
        'm',
      );
    case 'silent-manifest':
      return new RegExp(
        `^koker: registry ${host} sent no byte for 1 s while sending manifest for ${image} \\(the idle deadline\\)$`,
        'm',
      );
    case 'silent-blob':
      return new RegExp(
        `^koker: registry ${host} sent no byte for 1 s while sending ${layer} \\(the idle deadline\\)$`,
        'm',
      );
    case 'endless-manifest':
    case 'oversize-manifest':
      return new RegExp(`^koker: manifest for ${image} is larger than 4194304 bytes$`, 'm');
    case 'endless-blob':
      return new RegExp(`^koker: ${layer} is larger than the \\d+ bytes its descriptor says$`, 'm');
    case 'dies-mid-blob':
      return new RegExp(`^koker: ${layer} could not be downloaded: .* after \\d+ of \\d+ bytes$`, 'm');
    case 'wrong-digest':
      return new RegExp(`^koker: ${layer} does not match its digest`, 'm');
  }
}

describe('a hostile registry ends the pull with 125, in time, with nothing stored', () => {
  for (const name of Object.keys(HOSTILE_CASES) as HostileCase[]) {
    it(`when it ${HOSTILE_CASES[name]}`, async () => {
      const started = Date.now();
      const result = await root.run(['pull', registry.image(name)], { env: DEADLINES, timeoutMs: 60_000 });
      const seconds = (Date.now() - started) / 1000;
      expect(result.signal).toBeNull();
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(expectations(name));
      // The deadlines (1-2 s), retries with backoff for a dying connection, and koker's start.
      expect(seconds).toBeLessThan(15);
      // Nothing stored: no image, no layer, no layer blob, no work directory, no lock file.
      expect((await root.run(['images', '-q'])).stdout).toBe('');
      expect(root.entries('images/sha256')).toEqual([]);
      expect(root.entries('layers/sha256')).toEqual([]);
      expect(root.entries('blobs/sha256')).not.toContain(registry.layerDigest.slice('sha256:'.length));
      expect(root.entries('tmp')).toEqual([]);
      expect(root.entries('locks').filter((f) => f.startsWith('layer-'))).toEqual([]);
    });
  }
});

describe('the same registry, served right', () => {
  it('pulls, and leaves no layer lock file in the store', async () => {
    const result = await root.run(['pull', registry.image('good')], { env: DEADLINES });
    expect(result.code).toBe(0);
    expect(root.entries('layers/sha256')).toHaveLength(1);
    expect(root.entries('locks').filter((f) => f.startsWith('layer-'))).toEqual([]);
    expect((await root.run(['rmi', registry.image('good')])).code).toBe(0);
  });
});
