import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '@koker/engine';
import { parseContainerId, type ResourceLimits } from '@koker/core';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { KOKER_BIN } from '../helpers/koker.js';
import { inspect, tempRoot, type TempRoot } from './image-helpers.js';

/** Every stored layer is whole (its layer.json written last), every image's layers are there. */
async function expectConsistent(root: TempRoot): Promise<string[]> {
  const layersDir = join(root.dir, 'images/layers/sha256');
  for (const layer of root.entries('layers/sha256')) {
    expect(existsSync(join(layersDir, layer, 'layer.json')), `layer ${layer} is whole`).toBe(true);
  }
  const ids = (await root.run(['images', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
  for (const id of ids) {
    const image = await inspect(root, id);
    for (const dir of image.GraphDriver.Data.LowerDir.split(':')) expect(existsSync(dir)).toBe(true);
  }
  return ids;
}

describe('the image store across processes', () => {
  let registry: FixtureRegistry;

  beforeAll(async () => {
    registry = await fixtureRegistry({ large: true });
  });
  afterAll(() => registry?.stop());

  it('two pulls of the same image at once both succeed and store it once', async () => {
    const root = await tempRoot('concurrent');
    try {
      const [a, b] = await Promise.all([
        root.run(['pull', registry.images.large]),
        root.run(['pull', registry.images.large]),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const stored = (a.stderr + b.stderr).match(/Layer stored/g) ?? [];
      expect(stored).toHaveLength(registry.built.large.layers.length);
      expect(root.entries('layers/sha256')).toHaveLength(registry.built.large.layers.length);
      expect(await expectConsistent(root)).toEqual([registry.built.large.id]);
      expect(root.entries('tmp')).toEqual([]);
    } finally {
      await root.remove();
    }
  });

  it('survives kill -9 at any moment: nothing half-written is listed, and the next pull completes', async () => {
    const root = await tempRoot('kill');
    try {
      for (const delay of [150, 600, 1200, 2500, 4000]) {
        const child = spawn(KOKER_BIN, ['--root', root.dir, 'pull', registry.images.large], {
          stdio: 'ignore',
        });
        // Listen before waiting: on a fast machine the pull may end before the kill.
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill('SIGKILL');
        await exited;
        const ids = await expectConsistent(root);
        // Either the pull finished before the kill, or it left no image at all.
        expect(ids.length === 0 || ids[0] === registry.built.large.id).toBe(true);
      }
      const finished = await root.run(['pull', registry.images.large]);
      expect(finished.code).toBe(0);
      expect(await expectConsistent(root)).toEqual([registry.built.large.id]);
      // The dead pulls' work directories went with the next pull.
      expect(root.entries('tmp')).toEqual([]);
    } finally {
      await root.remove();
    }
  }, 400_000); // six pulls of the ~170 MB image: slow on a loaded 2-CPU machine, not a timing assertion
});

describe('image rm, prune and inspect', () => {
  let registry: FixtureRegistry;
  let root: TempRoot;

  beforeAll(async () => {
    registry = await fixtureRegistry();
    root = await tempRoot('rm');
    for (const name of ['busybox', 'layered', 'zstd'] as const) {
      expect((await root.run(['pull', '-q', registry.images[name]])).code).toBe(0);
    }
  });
  afterAll(() => root?.remove());
  afterAll(() => registry?.stop());

  it('untags while other tags remain, deletes with the last, refuses an image a container uses', async () => {
    // Two repositories for one image: busybox:latest and busybox:oci are the same image.
    expect((await root.run(['pull', '-q', registry.images.busyboxOci])).code).toBe(0);
    const untag = await root.run(['rmi', registry.images.busyboxOci]);
    expect(untag.stdout).toBe(`Untagged: ${registry.images.busyboxOci}\n`);
    expect((await inspect(root, registry.images.busybox)).Id).toBe(registry.built.busybox.id);

    // A container made from layered keeps it.
    const state = new FileStateStore(root.dir);
    const id = parseContainerId(randomBytes(32).toString('hex'));
    await state.create({
      id,
      image: { reference: registry.images.layered, id: registry.built.layered.id },
      entrypoint: [],
      command: ['sh'],
      env: [],
      hostname: 'koker-e2e',
      created: new Date().toISOString(),
      status: 'exited',
      network: { mode: 'none', ports: [] },
      limits: {} as ResourceLimits,
      autoRemove: false,
    });
    const refused = await root.run(['rmi', registry.images.layered]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `koker: unable to remove ${registry.images.layered} (must be forced): a container uses image ${registry.built.layered.id.slice(7, 19)}`,
    );
    const forced = await root.run(['rmi', '-f', registry.images.layered]);
    expect(forced.stdout).toBe(
      `Untagged: ${registry.images.layered}\nUntagged: ${registry.host}/layered@${registry.built.layered.digest}\n`,
    );
    // Untagged but kept for the container: listed as <none>.
    expect((await root.run(['images'])).stdout).toMatch(
      new RegExp(`\n<none> +<none> +${registry.built.layered.id.slice(7, 19)} `),
    );
    await state.remove(id);

    const deleted = await root.run(['rmi', registry.images.zstd]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`Deleted: ${registry.built.zstd.id}\n`);
    const missing = await root.run(['rmi', 'no-such-image']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('koker: no such image: no-such-image');
    const inspectMissing = await root.run(['image', 'inspect', 'no-such-image']);
    expect(inspectMissing.code).toBe(1);
    expect(inspectMissing.stdout).toBe('[]\n');
  });

  it('prunes dangling images, then all unused ones, and reclaims their layers', async () => {
    const dangling = await root.run(['image', 'prune', '-f']);
    expect(dangling.stdout).toContain(`deleted: ${registry.built.layered.id}`);
    expect(dangling.stdout).toMatch(/Total reclaimed space: \d/);
    expect((await root.run(['images', '-q', '--no-trunc'])).stdout).toBe(`${registry.built.busybox.id}\n`);
    const all = await root.run(['image', 'prune', '-a', '-f']);
    expect(all.stdout).toContain(`deleted: ${registry.built.busybox.id}`);
    expect((await root.run(['images', '-q'])).stdout).toBe('');
    expect(readdirSync(join(root.dir, 'images/layers/sha256'))).toEqual([]);
    expect(readdirSync(join(root.dir, 'images/blobs/sha256'))).toEqual([]);
  });
});
