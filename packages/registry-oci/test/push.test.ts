import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaTypes, RegistryError, type Descriptor, type Digest } from '@koker/core';
import { OciRegistrySource, type ImageToPush, type PushLayerState } from '../src/index.js';
import { UploadRegistry } from './upload-registry.js';

const digestOf = (bytes: Uint8Array) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;

function blob(bytes: Buffer, mediaType: string) {
  const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
  return { descriptor, open: (start: number, end: number) => Readable.from([bytes.subarray(start, end)]) };
}

/** A small image: two layers (one of 10 KiB) and a config, with its OCI manifest. */
function image(): ImageToPush & { bytes: Buffer[] } {
  const layers = [Buffer.alloc(10 * 1024, 7), Buffer.from('a second, small layer')];
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
  );
  const layerBlobs = layers.map((bytes, i) => ({ ...blob(bytes, MediaTypes.ociLayerGzip), id: `layer${i}` }));
  const configBlob = blob(config, MediaTypes.ociConfig);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: configBlob.descriptor,
      layers: layerBlobs.map((l) => l.descriptor),
    }),
  );
  return {
    layers: layerBlobs,
    config: configBlob,
    manifest: { mediaType: MediaTypes.ociManifest, bytes: manifest },
    bytes: [...layers, config],
  };
}

describe('push: the upload state machine against a canned registry', () => {
  let registry: UploadRegistry;
  let dir: string;
  let source: OciRegistrySource;
  const small = { monolithicMax: 4096, chunkSize: 4096 };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'koker-push-test-'));
    registry = new UploadRegistry();
    await registry.start();
    source = new OciRegistrySource({ dockerConfig: join(dir, 'config.json') });
  });
  afterEach(async () => {
    await source.close();
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const push = (extra: { mountFrom?: string[]; onLayer?: (id: string, s: PushLayerState) => void } = {}) =>
    source.push(registry.host, image(), { repository: 'team/app', tag: 'v1', limits: small, ...extra });

  it('uploads small blobs in one PUT, large ones in chunks with Content-Range, then the manifest', async () => {
    const states: string[] = [];
    const result = await push({
      onLayer: (id, state) => {
        if (state.phase === 'done') states.push(`${id}:${state.outcome.kind}`);
      },
    });
    const pushed = image();
    expect(result.digest).toBe(digestOf(pushed.manifest.bytes));
    expect(registry.manifests.get('team/app:v1')?.body.equals(Buffer.from(pushed.manifest.bytes))).toBe(true);
    expect(states.sort()).toEqual(['layer0:pushed', 'layer1:pushed']);
    const patches = registry.requests.filter((r) => r.startsWith('PATCH'));
    expect(patches.map((r) => r.split(' ').at(-1))).toEqual(['0-4095', '4096-8191', '8192-10239']);
    // The closing PUT keeps the session's own query and adds the digest.
    expect(registry.requests).toContainEqual(
      expect.stringMatching(
        /^PUT \/v2\/team\/app\/blobs\/uploads\/[0-9a-f-]+\?_state=[0-9a-f-]+-state&digest=sha256%3A/,
      ),
    );
    for (const bytes of pushed.bytes) expect(registry.hasBlob('team/app', digestOf(bytes))).toBe(true);
  });

  it('says a blob exists after a HEAD and sends nothing more for it', async () => {
    await push();
    registry.requests.length = 0;
    const outcomes: string[] = [];
    await push({ onLayer: (_id, s) => s.phase === 'done' && outcomes.push(s.outcome.kind) });
    expect(outcomes).toEqual(['exists', 'exists']);
    expect(registry.requests.filter((r) => !r.startsWith('HEAD'))).toEqual(['PUT /v2/team/app/manifests/v1']);
  });

  it('mounts from another repository, and falls back to the upload the registry opened', async () => {
    const pushed = image();
    registry.addBlob('library/base', pushed.bytes[0] as Buffer);
    const outcomes = new Map<string, string>();
    await push({
      mountFrom: ['library/base'],
      onLayer: (id, s) => {
        if (s.phase === 'done')
          outcomes.set(id, s.outcome.kind === 'mounted' ? `from ${s.outcome.from}` : s.outcome.kind);
      },
    });
    expect(outcomes.get('layer0')).toBe('from library/base');
    // The second layer is not in library/base: the 202 of the mount request is its upload session.
    expect(outcomes.get('layer1')).toBe('pushed');
    expect(registry.requests.filter((r) => r.startsWith('POST')).length).toBe(3);
  });

  it('sends chunks when the registry names a minimum chunk length, or refuses one PUT with 413', async () => {
    registry.behaviour = { chunkMin: 5000 };
    await push();
    expect(registry.requests.filter((r) => r.startsWith('PATCH')).map((r) => r.split(' ').at(-1))).toContain(
      '0-4999',
    );

    await registry.stop();
    registry = new UploadRegistry({ refuseMonolithic: true });
    await registry.start();
    await source.push(registry.host, image(), {
      repository: 'app',
      tag: 'v1',
      limits: { monolithicMax: 1024 * 1024, chunkSize: 1024 * 1024 },
    });
    // Each blob: one refused PUT, then a new session sent as a chunk.
    expect(registry.requests.filter((r) => r.startsWith('PATCH')).length).toBe(3);
    expect(registry.manifests.has('app:v1')).toBe(true);
  });

  it('follows absolute Locations on the same registry', async () => {
    registry.behaviour = { location: 'absolute' };
    await push();
    expect(registry.manifests.has('team/app:v1')).toBe(true);
  });

  it('refuses a Location on another host, or none', async () => {
    registry.behaviour = { location: 'foreign' };
    await expect(push()).rejects.toThrow(
      /sent the upload of layer sha256:[0-9a-f]+ of 127\.0\.0\.1:\d+\/team\/app to another host \(http:\/\/uploads\.example\.com\)/,
    );
    registry.behaviour = { location: 'none' };
    await expect(push()).rejects.toThrow(/started the upload of .* without a Location/);
    expect(registry.manifests.size).toBe(0);
  });

  it('checks the digest the registry answers, and the range it holds after a chunk', async () => {
    registry.behaviour = { claimDigest: `sha256:${'0'.repeat(64)}` };
    const claimed = push();
    await expect(claimed).rejects.toBeInstanceOf(RegistryError);
    await expect(claimed).rejects.toThrow(/stored layer sha256:[0-9a-f]+ .* as sha256:0000/);

    registry.behaviour = { loseBytes: true };
    const lost = source.push(registry.host, image(), { repository: 'other', tag: 'v1', limits: small });
    await expect(lost).rejects.toThrow(
      /blob upload invalid: .* holds 4095 bytes of layer .* after a chunk ending at 4096/,
    );
  });

  it('says which blob is missing when the registry refuses the manifest', async () => {
    const pushed = image();
    const broken: ImageToPush = {
      ...pushed,
      // A manifest naming a blob that was never sent.
      manifest: {
        mediaType: MediaTypes.ociManifest,
        bytes: Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            config: pushed.config.descriptor,
            layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: `sha256:${'1'.repeat(64)}`, size: 1 }],
          }),
        ),
      },
    };
    await expect(
      source.push(registry.host, broken, { repository: 'app', tag: 'v1', limits: small }),
    ).rejects.toThrow(/does not have a blob the manifest sha256:[0-9a-f]+ of .*\/app:v1 refers to/);
  });
});
