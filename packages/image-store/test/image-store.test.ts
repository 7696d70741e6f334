import { mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileImageStore, loadArchive, pullImage, saveArchive } from '../src/index.js';
import { TarIndex } from '../src/archive/tar-index.js';
import { type ApplyOptions, ImageReference, type Digest } from '@koker/core';
import {
  HashingStorage,
  MemorySource,
  makeImage,
  makeLayer,
  type TestImage,
} from './fixtures/image-fixtures.js';

const platform = { os: 'linux', architecture: 'amd64' };

describe('the image store and the pull pipeline', () => {
  let root: string;
  let store: FileImageStore;
  let storage: HashingStorage;
  let source: MemorySource;
  let base: TestImage;
  let app: TestImage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'koker-image-store-test-'));
    store = new FileImageStore(root);
    storage = new HashingStorage();
    const baseLayer = await makeLayer({ 'bin/sh': 'shell' });
    base = makeImage([baseLayer]);
    app = makeImage([baseLayer, await makeLayer({ 'app/run': 'app' })], ['/app/run']);
    source = new MemorySource(
      new Map([
        ['docker.io/library/base:latest', base],
        ['docker.io/library/app:1', app],
      ]),
    );
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const pull = (name: string) =>
    pullImage({ source, storage, store }, ImageReference.parse(name), { platform, concurrency: 3 });

  it('stores an image with its tag, config and layers (topmost first)', async () => {
    const result = await pull('base');
    expect(result).toMatchObject({ id: base.id, downloaded: 1, upToDate: false });
    const image = await store.find('base');
    expect(image).toMatchObject({ id: base.id, repoTags: ['base:latest'], config: { Cmd: ['sh'] } });
    expect(image?.repoDigests[0]).toMatch(/^base@sha256:/);
    expect(await store.find(base.id.slice(7, 19))).toMatchObject({ id: base.id });
    expect(await store.find(base.id)).toMatchObject({ id: base.id });
    expect(await store.find('docker.io/library/base:latest')).toMatchObject({ id: base.id });
    expect(await store.find('nothing')).toBeUndefined();
    const appResult = await pull('app:1');
    const appImage = await store.find('app:1');
    const dirs = await store.layerDirs(appImage!);
    expect(dirs).toHaveLength(2);
    expect(dirs[1]).toBe((await store.layerDirs(image!))[0]);
    expect(appResult.downloaded).toBe(1);
    expect(Buffer.from(await store.configBlob(appImage!)).equals(app.configBytes)).toBe(true);
  });

  it('downloads a layer shared by two images once, and reports an unchanged image as up to date', async () => {
    await pull('base');
    await pull('app:1');
    expect(source.fetched).toHaveLength(2);
    expect(storage.applied).toBe(2);
    expect((await readdir(store.layout.layersDir)).length).toBe(2);
    expect((await pull('base')).upToDate).toBe(true);
  });

  it('stores an image once when two pulls of it run at the same time', async () => {
    source.delayMs = 2;
    const [a, b] = await Promise.all([pull('app:1'), pull('app:1')]);
    expect(a.id).toBe(b.id);
    expect(storage.applied).toBe(2);
    expect((await store.list()).map((i) => i.repoTags)).toEqual([['app:latest'.replace('latest', '1')]]);
    expect(await readdir(store.layout.tmpDir)).toEqual([]);
  });

  it('streams layers larger than its buffers (backpressure on the file and the applier)', async () => {
    const { randomBytes } = await import('node:crypto');
    const big = makeImage([await makeLayer({ 'big.bin': randomBytes(3 * 1024 * 1024).toString('base64') })]);
    const bigSource = new MemorySource(new Map([['docker.io/library/big:latest', big]]));
    bigSource.chunkSize = 1024 * 1024;
    const result = await pullImage({ source: bigSource, storage, store }, ImageReference.parse('big'), {
      platform,
      concurrency: 1,
    });
    expect(result.id).toBe(big.id);
  });

  it('extracts one layer at a time: the others download to their blob files and extract from them', async () => {
    const { randomBytes } = await import('node:crypto');
    const layers = await Promise.all(
      ['a', 'b', 'c'].map((name) => makeLayer({ [name]: randomBytes(48 * 1024).toString('base64') })),
    );
    const wide = makeImage(layers);
    const wideSource = new MemorySource(new Map([['docker.io/library/wide:latest', wide]]));
    wideSource.chunkSize = 4096;
    wideSource.delayMs = 1;
    let extracting = 0;
    let most = 0;
    const fromFiles: string[] = [];
    const counting: typeof storage = Object.assign(Object.create(storage) as typeof storage, {
      async applyLayer(stream: Readable, options: ApplyOptions) {
        extracting++;
        most = Math.max(most, extracting);
        if (stream instanceof ReadStream) fromFiles.push(String(stream.path));
        try {
          return await storage.applyLayer(stream, options);
        } finally {
          extracting--;
        }
      },
    });
    const phases: string[] = [];
    const result = await pullImage(
      { source: wideSource, storage: counting, store },
      ImageReference.parse('wide'),
      {
        platform,
        concurrency: 3,
        progress: { start: () => undefined, update: (_id, s) => phases.push(s.phase), end: () => undefined },
      },
    );
    expect(result).toMatchObject({ id: wide.id, downloaded: 3 });
    expect(most).toBe(1);
    expect(storage.applied).toBe(3);
    // The layers that found the turn taken waited on disk, in their blob files.
    expect(fromFiles.length).toBeGreaterThanOrEqual(1);
    for (const path of fromFiles) expect(path).toMatch(/\/blob$/);
    expect(phases.filter((p) => p === 'downloaded')).toHaveLength(fromFiles.length);
    expect((await readdir(store.layout.layersDir)).length).toBe(3);
    expect(await readdir(store.layout.tmpDir)).toEqual([]);
  });

  // The overlay driver imports its applier on first use: it may start after the download failed.
  it('leaves no work directory when the applier starts after the download failed', async () => {
    class LateStorage extends HashingStorage {
      override async applyLayer(stream: Readable, options: ApplyOptions) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await mkdir(dirname(options.target), { recursive: true });
        try {
          return await super.applyLayer(stream, options);
        } catch (error) {
          await rm(options.target, { recursive: true, force: true });
          throw error;
        }
      }
    }
    // One layer: it holds the extraction turn, so it streams into the applier as it downloads.
    source.corrupt.add(base.layers[0]!.descriptor.digest);
    const late = () =>
      pullImage({ source, storage: new LateStorage(), store }, ImageReference.parse('base'), {
        platform,
        concurrency: 3,
      });
    await expect(late()).rejects.toThrow(/does not match its digest/);
    // Long enough for an applier still running to make its directories.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await readdir(store.layout.tmpDir)).toEqual([]);
  });

  it('records nothing for an image whose layer does not verify', async () => {
    source.corrupt.add(app.layers[1]!.descriptor.digest);
    await expect(pull('app:1')).rejects.toThrow(/does not match its digest/);
    expect(await store.list()).toEqual([]);
    expect(await readdir(store.layout.tmpDir)).toEqual([]);
    expect(
      (await readdir(store.layout.blobsDir)).some((hex) => hex === app.layers[1]!.descriptor.digest.slice(7)),
    ).toBe(false);
  });

  it('untags, deletes and prunes like Docker, keeping what containers use', async () => {
    await pull('base');
    await pull('app:1');
    await store.tag(base.id, ImageReference.parse('other:2'));
    const none = new Set<string>();
    expect(await store.remove('other:2', { force: false, inUse: none })).toMatchObject({
      untagged: ['other:2'],
      deleted: [],
    });
    await expect(store.remove('app:1', { force: false, inUse: new Set([app.id]) })).rejects.toThrow(
      /a container uses image/,
    );
    const removed = await store.remove('app:1', { force: false, inUse: none });
    expect(removed.deleted).toEqual([app.id]);
    expect(removed.deletedLayers).toHaveLength(1);
    expect((await readdir(store.layout.layersDir)).length).toBe(1);
    await expect(store.remove('app:1', { force: false, inUse: none })).rejects.toThrow(
      'no such image: app:1',
    );
    await store.tag(base.id, ImageReference.parse('x.io/base:1'));
    await expect(store.remove(base.id.slice(7, 19), { force: false, inUse: none })).rejects.toThrow(
      /multiple repositories/,
    );
    expect((await store.prune({ all: false, inUse: none })).deleted).toEqual([]);
    const pruned = await store.prune({ all: true, inUse: none });
    expect(pruned.deleted).toEqual([base.id]);
    expect(await readdir(store.layout.layersDir)).toEqual([]);
    expect(await readdir(store.layout.blobsDir)).toEqual([]);
  });

  it('saves images to an archive that loads back with the same ID and tags', async () => {
    await pull('app:1');
    const archive = join(root, 'app.tar');
    const { createWriteStream } = await import('node:fs');
    await saveArchive(store, ['app:1'], createWriteStream(archive));
    const other = new FileImageStore(join(root, 'other'));
    const loaded = await loadArchive({ store: other, storage }, archive);
    expect(loaded).toEqual([{ id: app.id, tags: ['app:1'] }]);
    expect(await other.find('app:1')).toMatchObject({ id: app.id, config: { Cmd: ['/app/run'] } });
    expect((await readdir(other.layout.layersDir)).sort()).toEqual(
      (await readdir(store.layout.layersDir)).sort(),
    );
  });

  it('loads nothing from an archive whose layer bytes differ from the digest its name states', async () => {
    await pull('app:1');
    const archive = join(root, 'app.tar');
    const { createWriteStream } = await import('node:fs');
    await saveArchive(store, ['app:1'], createWriteStream(archive));
    const index = await TarIndex.read(archive);
    const [entry] = JSON.parse((await index.read(index.file('manifest.json')!)).toString()) as {
      Layers: string[];
    }[];
    const layer = index.file(entry!.Layers[1]!)!;
    // The gzip header's time field: the layer still unpacks, only its digest is wrong.
    const file = await open(archive, 'r+');
    await file.write(Buffer.from([0x7f]), 0, 1, layer.offset + 4);
    await file.close();
    const other = new FileImageStore(join(root, 'other'));
    await expect(loadArchive({ store: other, storage }, archive)).rejects.toThrow(
      `layer ${entry!.Layers[1]} does not match its digest`,
    );
    expect(await other.list()).toEqual([]);
    expect(await readdir(other.layout.tmpDir)).toEqual([]);
  });
});

// Keep the type import used for readers of this file.
export type { Digest };
void PassThrough;
