import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureArchives,
  fixtureRegistry,
  type FixtureArchives,
  type FixtureRegistry,
} from '../fixtures/fixture-registry.js';
import { KOKER_BIN } from '../helpers/koker.js';
import { inspect, tempRoot, type TempRoot } from './image-helpers.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-busybox-image.sh', import.meta.url));

describe('koker load and save', () => {
  let root: TempRoot;
  let archives: FixtureArchives;
  let registry: FixtureRegistry;

  beforeAll(async () => {
    root = await tempRoot('load-save');
    archives = await fixtureArchives();
    registry = await fixtureRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
    await root?.remove();
  });

  it("loads the README's busybox, built from busybox-static with no network", async () => {
    const archive = join(root.dir, 'busybox.tar');
    const id = execFileSync(BUILD_SCRIPT, [archive], { encoding: 'utf8' }).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const loaded = await root.run(['load', '-i', archive]);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toBe('Loaded image: busybox:latest\n');
    // Its layer is read from the archive, not downloaded: the log says so.
    expect(loaded.stderr).toMatch(/INF Load layer layer=[0-9a-f]{12} size=/);
    expect(loaded.stderr).not.toContain('Download');
    const image = await inspect(root, 'busybox');
    expect(image.Id).toBe(id);
    expect(image.Config.Cmd).toEqual(['sh']);
    const [layer] = image.GraphDriver.Data.LowerDir.split(':');
    expect(readlinkSync(join(layer as string, 'bin/sh'))).toBe('/bin/busybox');
    // Loading it again changes nothing, and takes the archive on stdin too.
    const again = spawnSync(KOKER_BIN, ['--root', root.dir, 'load'], {
      input: readFileSync(archive),
    });
    expect(again.stdout.toString()).toBe('Loaded image: busybox:latest\n');
    expect(root.entries('layers/sha256')).toHaveLength(1);
  });

  it('loads docker-archive and OCI archives written by skopeo', async () => {
    const fresh = await tempRoot('load-skopeo');
    try {
      const docker = await fresh.run(['load', '-i', archives.busyboxDocker]);
      expect(docker.stdout).toBe('Loaded image: busybox:latest\n');
      expect((await inspect(fresh, 'busybox:latest')).Id).toBe(registry.built.busybox.id);
      const oci = await fresh.run(['load', '-q', '-i', archives.busyboxOci]);
      expect(oci.code).toBe(0);
      expect(oci.stdout).toBe('');
      expect(fresh.entries('layers/sha256')).toHaveLength(1);
    } finally {
      await fresh.remove();
    }
  });

  it('saves images that load back with the same IDs, and that skopeo reads', async () => {
    expect((await root.run(['pull', '-q', registry.images.layered])).code).toBe(0);
    expect((await root.run(['pull', '-q', registry.images.zstd])).code).toBe(0);
    const archive = join(root.dir, 'saved.tar');
    const saved = await root.run([
      'save',
      '-o',
      archive,
      registry.images.layered,
      registry.images.zstd,
      'busybox',
    ]);
    expect(saved.code).toBe(0);
    const skopeo = JSON.parse(
      execFileSync('skopeo', ['inspect', `docker-archive:${archive}:${registry.images.layered}`], {
        encoding: 'utf8',
      }),
    ) as { Layers: string[] };
    // docker-archive names layers by diff ID.
    expect(skopeo.Layers).toEqual(registry.built.layered.diffIds);
    const other = await tempRoot('load-saved');
    try {
      const loaded = await other.run(['load', '-i', archive]);
      expect(loaded.stdout.split('\n').filter(Boolean).sort()).toEqual(
        [
          `Loaded image: ${registry.images.layered}`,
          `Loaded image: ${registry.images.zstd}`,
          'Loaded image: busybox:latest',
        ].sort(),
      );
      for (const name of [registry.images.layered, registry.images.zstd, 'busybox']) {
        expect((await inspect(other, name)).Id).toBe((await inspect(root, name)).Id);
      }
    } finally {
      await other.remove();
    }
    // To stdout as well.
    const streamed = await root.run(['save', 'busybox']);
    expect(streamed.code).toBe(0);
    expect(streamed.stdout.length).toBeGreaterThan(1_000_000);
  });

  it('refuses archives that are not images or do not verify, storing nothing', async () => {
    const fresh = await tempRoot('load-bad');
    try {
      const notTar = join(fresh.dir, 'not.tar');
      writeFileSync(notTar, 'hello, this is not a tar archive'.repeat(40));
      const refused = await fresh.run(['load', '-i', notTar]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is not a tar archive');
      const missing = await fresh.run(['load', '-i', join(fresh.dir, 'missing.tar')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no such file');
      // A docker save archive whose layer was altered after the config named its diff ID.
      const work = join(fresh.dir, 'tampered');
      execFileSync('mkdir', ['-p', work]);
      execFileSync('tar', ['-xf', archives.busyboxDocker, '-C', work]);
      const manifest = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as {
        Layers: string[];
      }[];
      const layer = join(work, manifest[0]?.Layers[0] as string);
      const bytes = readFileSync(layer);
      bytes[bytes.length - 2000] = (bytes[bytes.length - 2000] ?? 0) ^ 0xff;
      writeFileSync(layer, bytes);
      const tampered = join(fresh.dir, 'tampered.tar');
      execFileSync('tar', ['-cf', tampered, '-C', work, '.']);
      const result = await fresh.run(['load', '-i', tampered]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /koker: layer sha256:[0-9a-f]{64} (cannot be unpacked|unpacks to sha256:[0-9a-f]+, but the image config names)/,
      );
      expect((await fresh.run(['images', '-q'])).stdout).toBe('');
      expect(fresh.entries('tmp')).toEqual([]);
    } finally {
      await fresh.remove();
    }
  });
});
