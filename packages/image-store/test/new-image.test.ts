import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageReference, parseImageConfig } from '@koker/core';
import { deriveImageConfig, FileImageStore, pullImage, saveArchive, storeNewImage } from '../src/index.js';
import { HashingStorage, MemorySource, makeImage, makeLayer, sha256 } from './fixtures/image-fixtures.js';

describe('new images: a derived config and a layer written into the store', () => {
  let root: string;
  let store: FileImageStore;
  let storage: HashingStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'koker-new-image-test-'));
    store = new FileImageStore(root);
    storage = new HashingStorage();
    const base = makeImage([await makeLayer({ 'bin/sh': 'shell' })]);
    const source = new MemorySource(new Map([['docker.io/library/base:latest', base]]));
    await pullImage({ source, storage, store }, ImageReference.parse('base'), {
      platform: { os: 'linux', architecture: 'amd64' },
      concurrency: 1,
    });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('derives a config: parent fields kept, config replaced, diff ID and history appended', () => {
    const parent = Buffer.from(
      JSON.stringify({
        architecture: 'arm64',
        os: 'linux',
        config: { Cmd: ['sh'], Env: ['PATH=/bin'], Hostname: 'x' },
        rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] },
        container_config: { Cmd: ['old'] },
        'moby.buildkit.buildinfo.v1': 'kept',
      }),
    );
    const diffId = `sha256:${'b'.repeat(64)}` as const;
    const bytes = deriveImageConfig(parent, {
      config: { Cmd: ['echo', 'hi'], User: 'nobody' },
      diffId,
      history: { created_by: 'koker commit', comment: 'c' },
      created: '2026-01-01T00:00:00Z',
      author: 'me',
    });
    const json = JSON.parse(bytes.toString()) as Record<string, unknown>;
    expect(json).toMatchObject({
      architecture: 'arm64',
      author: 'me',
      created: '2026-01-01T00:00:00Z',
      config: { Cmd: ['echo', 'hi'], Env: ['PATH=/bin'], User: 'nobody', Hostname: 'x' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`, diffId] },
      // The parent had no history: its layer gets an empty entry of its own.
      history: [
        {},
        { created: '2026-01-01T00:00:00Z', author: 'me', created_by: 'koker commit', comment: 'c' },
      ],
      'moby.buildkit.buildinfo.v1': 'kept',
    });
    expect(json.container_config).toBeUndefined();
    const empty = JSON.parse(
      deriveImageConfig(undefined, {
        config: { Env: ['A=1'] },
        history: { created_by: 'ENV A=1' },
        created: '2026-01-01T00:00:00Z',
      }).toString(),
    ) as Record<string, unknown>;
    expect(empty).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { diff_ids: [] },
      history: [{ created_by: 'ENV A=1', empty_layer: true }],
    });
  });

  it('stores the layer through the applier, with the config, a manifest and the tag; save carries it', async () => {
    const parent = await store.find('base');
    const layer = await makeLayer({ 'app/run': 'app' });
    const work = await store.workDir();
    const path = join(work, 'layer.tgz');
    await writeFile(path, layer.blob);
    const configBytes = deriveImageConfig(Buffer.from(await store.configBlob(parent!)), {
      config: { Cmd: ['/app/run'] },
      diffId: layer.diffId,
      history: { created_by: 'test' },
      created: '2026-01-01T00:00:00Z',
    });
    const committed = await storeNewImage(
      { store, storage },
      {
        parent: parent!,
        layer: { path, diffId: layer.diffId, digest: layer.descriptor.digest, size: layer.descriptor.size },
        configBytes,
        tags: [ImageReference.parse('app:new')],
      },
    );
    await rm(work, { recursive: true, force: true });
    expect(committed).toMatchObject({ id: sha256(configBytes), isNew: true });
    const image = await store.find('app:new');
    expect(image).toMatchObject({ id: committed.id, config: { Cmd: ['/app/run'] } });
    expect(image?.diffIds).toEqual([...parent!.diffIds, layer.diffId]);
    expect(await store.layerDirs(image!)).toHaveLength(2);
    expect(parseImageConfig(configBytes, 'x').diffIds).toHaveLength(2);
    expect(await store.hasBlob(layer.descriptor.digest)).toBe(true);
    // A bad diff ID is refused before anything is recorded.
    await expect(
      storeNewImage(
        { store, storage },
        { parent: parent!, configBytes: Buffer.from(await store.configBlob(parent!)).subarray(0, 10) },
      ),
    ).rejects.toThrow();
    const out = createWriteStream(join(root, 'out.tar'));
    await saveArchive(store, ['app:new'], out);
  });
});
