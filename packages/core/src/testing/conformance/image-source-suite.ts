import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { type Readable } from 'node:stream';
import { type Descriptor, type ImageSource, type ResolvedImage } from '../../contracts/image-source.js';
import { type Digest } from '../../domain/digest.js';
import { type ImageReference } from '../../domain/image-reference.js';
import { type Platform } from '../../domain/platform.js';
import { NotFoundError } from '../../errors/kinds.js';
import { isKokerError } from '../../errors/koker-error.js';
import { withSubject, type SubjectBase, type TestFunctions } from './test-functions.js';

export interface ImageSourceSubject extends SubjectBase {
  readonly source: ImageSource;
  /** The platform every reference below is resolved for (this host's, usually). */
  readonly platform: Platform;
  /** An image offering `platform`: a single manifest or an index. */
  readonly image: ImageReference;
  /** An index (or Docker manifest list) listing `platform` among others. */
  readonly index: ImageReference;
  /** An unknown tag of a repository that exists. */
  readonly missingTag: ImageReference;
  /** An image whose layer `layer` is served with bytes that do not match its digest. */
  readonly damaged: { readonly reference: ImageReference; readonly layer: Digest };
}

export interface ImageSourceSuiteOptions {
  readonly name?: string;
  /** A fresh source (and what it serves) for each test. */
  create(): ImageSourceSubject | Promise<ImageSourceSubject>;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** openBlob, then the whole stream: what a consumer commits only when this resolves. */
async function readBlob(source: ImageSource, image: ResolvedImage, descriptor: Descriptor): Promise<Buffer> {
  return drain(await source.openBlob(image, descriptor));
}

interface ManifestJson {
  config: { digest: string; size: number; mediaType: string };
  layers: { digest: string; size: number; mediaType: string }[];
}

function checkResolved(resolved: ResolvedImage, reference: ImageReference, platform: Platform): void {
  assert.equal(resolved.reference.toString(), reference.toString());
  assert.equal(resolved.manifest.digest, resolved.manifestDigest);
  assert.equal(
    sha256(resolved.manifest.bytes),
    resolved.manifestDigest,
    'the manifest bytes match manifestDigest',
  );
  if (resolved.index) {
    assert.equal(sha256(resolved.index.bytes), resolved.topDigest, 'the index bytes match topDigest');
    assert.equal(resolved.index.digest, resolved.topDigest);
  } else {
    assert.equal(
      resolved.topDigest,
      resolved.manifestDigest,
      'without an index the tag points at the manifest',
    );
  }
  const manifest = JSON.parse(Buffer.from(resolved.manifest.bytes).toString('utf8')) as ManifestJson;
  assert.deepEqual(
    { digest: resolved.config.digest, size: resolved.config.size },
    { digest: manifest.config.digest, size: manifest.config.size },
    "config is the manifest's",
  );
  assert.deepEqual(
    resolved.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    "layers are the manifest's, in order",
  );
  assert.equal(sha256(resolved.configBytes), resolved.config.digest, 'configBytes match the config digest');
  assert.equal(resolved.configBytes.length, resolved.config.size);
  const config = JSON.parse(Buffer.from(resolved.configBytes).toString('utf8')) as Record<string, unknown>;
  assert.equal(config.os, platform.os, "the config's os is the platform's");
  assert.equal(config.architecture, platform.architecture, "the config's architecture is the platform's");
  assert.equal(resolved.platform.os, platform.os);
  assert.equal(resolved.platform.architecture, platform.architecture);
  assert.equal(typeof resolved.endpoint, 'string');
}

/**
 * The ImageSource contract as `koker pull` relies on it: resolve a reference for a platform to a
 * manifest and config whose bytes are verified against their digests (through an index when the
 * tag names one), stream blobs that fail instead of ending when their bytes do not match, and
 * say NotFoundError for an unknown tag.
 */
export function describeImageSource(t: TestFunctions, options: ImageSourceSuiteOptions): void {
  const test = (name: string, body: (s: ImageSourceSubject) => Promise<void>) =>
    t.it(name, () => withSubject(options.create, body));

  t.describe(`ImageSource conformance${options.name ? `: ${options.name}` : ''}`, () => {
    test('resolves an image to a verified manifest and config for the platform', async (s) => {
      checkResolved(await s.source.resolve(s.image, s.platform), s.image, s.platform);
    });

    test("resolves an index to the platform's manifest, and refuses a platform it does not list", async (s) => {
      const resolved = await s.source.resolve(s.index, s.platform);
      checkResolved(resolved, s.index, s.platform);
      assert.ok(resolved.index, 'the index the tag points at is returned');
      const index = JSON.parse(Buffer.from(resolved.index.bytes).toString('utf8')) as {
        manifests: { digest: string; platform?: Platform }[];
      };
      const entry = index.manifests.find((m) => m.digest === resolved.manifestDigest);
      assert.ok(entry, "the chosen manifest is one of the index's");
      assert.equal(entry.platform?.architecture, s.platform.architecture);
      await assert.rejects(
        s.source.resolve(s.index, { os: 'linux', architecture: 'koker-nonexistent' }),
        isKokerError,
        'a platform the index does not list is refused with a KokerError',
      );
    });

    test('streams every blob with the bytes of its digest', async (s) => {
      const resolved = await s.source.resolve(s.image, s.platform);
      assert.ok(resolved.layers.length > 0, 'the image has layers');
      for (const descriptor of [resolved.config, ...resolved.layers]) {
        const bytes = await readBlob(s.source, resolved, descriptor);
        assert.equal(bytes.length, descriptor.size, `${descriptor.digest}: size`);
        assert.equal(sha256(bytes), descriptor.digest, `${descriptor.digest}: digest`);
      }
    });

    test('a blob whose bytes do not match its descriptor fails instead of ending', async (s) => {
      const resolved = await s.source.resolve(s.image, s.platform);
      const layer = resolved.layers[0] as Descriptor;
      for (const size of [layer.size - 1, layer.size + 1]) {
        await assert.rejects(
          readBlob(s.source, resolved, { ...layer, size }),
          `size ${size} for ${layer.size} bytes must fail`,
        );
      }
      const unknown = { ...layer, digest: sha256(randomBytes(32)) as Digest };
      await assert.rejects(
        readBlob(s.source, resolved, unknown),
        'a digest the source does not have must fail',
      );
      const damaged = await s.source.resolve(s.damaged.reference, s.platform);
      const descriptor = damaged.layers.find((l) => l.digest === s.damaged.layer);
      assert.ok(descriptor, `the damaged image lists ${s.damaged.layer}`);
      await assert.rejects(
        readBlob(s.source, damaged, descriptor),
        'bytes that do not match the digest must fail',
      );
    });

    test('an unknown tag is a NotFoundError', async (s) => {
      await assert.rejects(
        s.source.resolve(s.missingTag, s.platform),
        (error: unknown) => error instanceof NotFoundError,
      );
    });
  });
}
