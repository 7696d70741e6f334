import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ImageReference,
  MediaTypes,
  NotFoundError,
  RegistryError,
  type Descriptor,
  type Digest,
  type ImageSource,
  type Platform,
  type ResolvedImage,
} from '../../src/index.js';
import { describeImageSource, layerBlob, type ImageSourceSubject } from '../../src/testing/index.js';
import { failedTests, failures, runSuite } from './run-suite.js';

type Breakage = 'none' | 'unverified-blobs' | 'plain-error-when-missing' | 'first-platform';

const digestOf = (bytes: Uint8Array) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

/** Blobs and tags in memory: `repo:single` (a manifest), `repo:multi` (arm64 then amd64), `repo:damaged`. */
class MemorySource implements ImageSource {
  readonly name = 'memory';
  readonly blobs = new Map<string, Buffer>();
  readonly tags = new Map<string, { bytes: Buffer; mediaType: string }>();
  damagedLayer!: Digest;

  constructor(private readonly broken: Breakage) {
    const single = this.image(AMD64, 'single');
    const arm = this.image(ARM64, 'arm');
    const index = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [
        { mediaType: MediaTypes.ociManifest, digest: digestOf(arm), size: arm.length, platform: ARM64 },
        { mediaType: MediaTypes.ociManifest, digest: digestOf(single), size: single.length, platform: AMD64 },
      ],
    };
    this.tags.set('multi', { bytes: json(index), mediaType: MediaTypes.ociIndex });
    const damaged = this.image(AMD64, 'damaged');
    const layer = (JSON.parse(damaged.toString()) as { layers: Descriptor[] }).layers[0] as Descriptor;
    this.damagedLayer = layer.digest;
    this.blobs.set(layer.digest, Buffer.alloc(layer.size, 7));
  }

  private add(bytes: Buffer): Descriptor & { bytes: Buffer } {
    this.blobs.set(digestOf(bytes), bytes);
    return { mediaType: '', digest: digestOf(bytes), size: bytes.length, bytes };
  }

  private image(platform: Platform, tag: string): Buffer {
    const layer = this.add(layerBlob([{ type: 'file', path: 'tag', content: tag }]).tar);
    const config = this.add(json({ ...platform, rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
    const manifest = json({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: config.digest, size: config.size },
      layers: [{ mediaType: MediaTypes.ociLayer, digest: layer.digest, size: layer.size }],
    });
    this.blobs.set(digestOf(manifest), manifest);
    this.tags.set(tag, { bytes: manifest, mediaType: MediaTypes.ociManifest });
    return manifest;
  }

  async resolve(reference: ImageReference, platform: Platform): Promise<ResolvedImage> {
    const top = this.tags.get(reference.tag ?? '');
    if (!top) {
      if (this.broken === 'plain-error-when-missing') throw new Error('no such tag');
      throw new NotFoundError(`manifest for ${reference.toString()} not found`);
    }
    let manifest = top;
    let index: ResolvedImage['index'];
    if (top.mediaType === MediaTypes.ociIndex) {
      index = { mediaType: top.mediaType, digest: digestOf(top.bytes), bytes: top.bytes };
      const entries = (
        JSON.parse(top.bytes.toString()) as { manifests: { digest: string; platform: Platform }[] }
      ).manifests;
      const entry =
        this.broken === 'first-platform'
          ? entries[0]
          : entries.find((m) => m.platform.architecture === platform.architecture);
      if (!entry) throw new RegistryError(`no manifest for ${platform.architecture}`);
      manifest = { bytes: this.blobs.get(entry.digest) as Buffer, mediaType: MediaTypes.ociManifest };
    }
    const parsed = JSON.parse(manifest.bytes.toString()) as { config: Descriptor; layers: Descriptor[] };
    return {
      reference,
      manifestDigest: digestOf(manifest.bytes),
      topDigest: digestOf(top.bytes),
      manifest: { mediaType: manifest.mediaType, digest: digestOf(manifest.bytes), bytes: manifest.bytes },
      ...(index ? { index } : {}),
      config: parsed.config,
      configBytes: this.blobs.get(parsed.config.digest) as Buffer,
      layers: parsed.layers,
      platform,
      endpoint: 'memory:',
    };
  }

  async openBlob(_image: ResolvedImage, descriptor: Descriptor): Promise<Readable> {
    const bytes = this.blobs.get(descriptor.digest);
    if (!bytes) throw new NotFoundError(`blob ${descriptor.digest} not found`);
    if (this.broken === 'unverified-blobs') return Readable.from([bytes]);
    const hash = createHash('sha256');
    let size = 0;
    return Readable.from([bytes]).pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
        flush(done) {
          const digest = `sha256:${hash.digest('hex')}`;
          if (size !== descriptor.size || digest !== descriptor.digest)
            return done(
              new RegistryError(`blob ${descriptor.digest} does not match (${size} bytes, ${digest})`),
            );
          done();
        },
      }),
    );
  }
}

function subject(broken: Breakage): ImageSourceSubject {
  const source = new MemorySource(broken);
  return {
    source,
    platform: AMD64,
    image: ImageReference.parse('example.test/repo:single'),
    index: ImageReference.parse('example.test/repo:multi'),
    missingTag: ImageReference.parse('example.test/repo:nonexistent'),
    damaged: { reference: ImageReference.parse('example.test/repo:damaged'), layer: source.damagedLayer },
  };
}

const run = (broken: Breakage) =>
  runSuite((t) => describeImageSource(t, { name: broken, create: () => subject(broken) }));

describe('describeImageSource', () => {
  it('passes a source that keeps every promise', async () => {
    const outcome = await run('none');
    expect(outcome.failed, failures(outcome)).toEqual([]);
    expect(outcome.passed.length).toBe(5);
  });

  it('fails a source that streams blobs without verifying them', async () => {
    expect(failedTests(await run('unverified-blobs'))).toEqual([
      'a blob whose bytes do not match its descriptor fails instead of ending',
    ]);
  });

  it('fails a source that says a plain Error for an unknown tag', async () => {
    expect(failedTests(await run('plain-error-when-missing'))).toEqual(['an unknown tag is a NotFoundError']);
  });

  it("fails a source that does not pick the platform's manifest from an index", async () => {
    expect(failedTests(await run('first-platform'))).toEqual([
      "resolves an index to the platform's manifest, and refuses a platform it does not list",
    ]);
  });
});
