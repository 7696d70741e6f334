import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { inspect, tempRoot, type TempRoot } from './image-helpers.js';

const HOST_ARCH = process.arch === 'x64' ? 'amd64' : 'arm64';
const HOST_PLATFORM = process.arch === 'x64' ? 'linux/amd64' : 'linux/arm64/v8';

/** Mounts the layers read-only with overlayfs, as a container sees them, runs `fn`, unmounts. */
function withMergedView<T>(root: TempRoot, lowerDir: string, fn: (merged: string) => T): T {
  // overlayfs needs two lower directories at least; one layer is its own view.
  if (!lowerDir.includes(':')) return fn(lowerDir);
  const merged = join(root.dir, 'merged');
  mkdirSync(merged, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'koker-e2e-overlay', '-o', `lowerdir=${lowerDir}`, merged]);
  try {
    return fn(merged);
  } finally {
    execFileSync('umount', [merged]);
  }
}

describe('koker pull from a real registry', () => {
  let registry: FixtureRegistry;
  let root: TempRoot;

  beforeAll(async () => {
    registry = await fixtureRegistry();
    root = await tempRoot('pull');
  });
  afterAll(async () => {
    await registry?.stop();
    await root?.remove();
  });

  it('pulls a Docker schema 2 image and lists, inspects it', async () => {
    const pulled = await root.run(['pull', registry.images.busybox]);
    expect(pulled.stderr).toContain('INF Download layer');
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(
      `Digest: ${registry.built.busybox.digest}\nStatus: Downloaded newer image for ${registry.images.busybox}\n${registry.images.busybox}\n`,
    );
    const listed = await root.run(['images']);
    expect(listed.stdout).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
    // Docker's tabwriter: columns at least 10 wide, 3 spaces apart.
    expect(listed.stdout).toContain(
      `${registry.host}/busybox   latest    ${registry.built.busybox.id.slice(7, 19)}   2 years ago`,
    );
    expect((await root.run(['images', '-q'])).stdout).toBe(`${registry.built.busybox.id.slice(7, 19)}\n`);
    const json = JSON.parse((await root.run(['image', 'ls', '--format', 'json'])).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      Repository: `${registry.host}/busybox`,
      Tag: 'latest',
      Digest: registry.built.busybox.digest,
    });
    const image = await inspect(root, registry.images.busybox);
    expect(image.Id).toBe(registry.built.busybox.id);
    expect(image.RepoTags).toEqual([registry.images.busybox]);
    expect(image.RepoDigests).toEqual([`${registry.host}/busybox@${registry.built.busybox.digest}`]);
    expect(image.Config.Cmd).toEqual(['sh']);
    expect(image.RootFS.Layers).toEqual(registry.built.busybox.diffIds);
    expect(image.Architecture).toBe(HOST_ARCH);
    expect(image.Size).toBeGreaterThan(1_000_000);
    // The same image by short ID and by full ID.
    expect((await inspect(root, registry.built.busybox.id.slice(7, 19))).Id).toBe(image.Id);
    // The layer holds busybox and its applets.
    const [layer] = image.GraphDriver.Data.LowerDir.split(':');
    expect(statSync(join(layer as string, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(layer as string, 'bin/sh'))).toBe('/bin/busybox');
  });

  it('knows the same image as OCI: same ID, no layer downloaded, "up to date" the second time', async () => {
    const pulled = await root.run(['pull', registry.images.busyboxOci]);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toContain('Layer already exists');
    expect(pulled.stderr).not.toContain('Download layer');
    expect((await inspect(root, registry.images.busyboxOci)).Id).toBe(registry.built.busybox.id);
    expect(root.entries('layers/sha256')).toHaveLength(1);
    const again = await root.run(['pull', registry.images.busyboxOci]);
    expect(again.stdout).toContain(`Status: Image is up to date for ${registry.images.busyboxOci}`);
  });

  it('downloads only the new layers of an image on a stored base, and unpacks every kind of entry', async () => {
    const pulled = await root.run(['pull', registry.images.layered]);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr.match(/Download layer/g)).toHaveLength(2);
    expect(pulled.stderr.match(/Layer already exists/g)).toHaveLength(1);
    const image = await inspect(root, registry.images.layered);
    expect(image.Config).toMatchObject({
      WorkingDir: '/data',
      ExposedPorts: { '8080/tcp': {} },
      StopSignal: 'SIGQUIT',
    });
    const dirs = image.GraphDriver.Data.LowerDir.split(':');
    expect(dirs).toHaveLength(3);
    withMergedView(root, image.GraphDriver.Data.LowerDir, (merged) => {
      const ls = (path: string) =>
        execFileSync('ls', ['-A', join(merged, path)], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean);
      expect(ls('data').sort()).toEqual(
        [
          'absolute-link',
          'added.txt',
          'hardlink.txt',
          'keep.txt',
          'nobody.txt',
          'opaque',
          'relative-link',
        ].sort(),
      );
      expect(ls('data/opaque')).toEqual(['new.txt']);
      expect(readFileSync(join(merged, 'data/relative-link'), 'utf8')).toBe('keep\n');
      expect(readlinkSync(join(merged, 'data/absolute-link'))).toBe('/data/keep.txt');
      expect(statSync(join(merged, 'data/hardlink.txt')).ino).toBe(
        statSync(join(merged, 'data/keep.txt')).ino,
      );
      const suid = statSync(join(merged, 'usr/bin/koker-suid'));
      expect(suid.mode & 0o7777).toBe(0o4755);
      expect(statSync(join(merged, 'usr/bin/koker-sgid')).mode & 0o7777).toBe(0o2755);
      const owned = statSync(join(merged, 'home/app/owned.txt'));
      expect([owned.uid, owned.gid, owned.mode & 0o777]).toEqual([1000, 1000, 0o600]);
      expect([
        statSync(join(merged, 'data/nobody.txt')).uid,
        statSync(join(merged, 'home/app')).mode & 0o777,
      ]).toEqual([65534, 0o750]);
      expect(statSync(join(merged, 'tmp')).mode & 0o7777).toBe(0o1777);
    });
  });

  it("picks this host's platform from an index or manifest list, or the one --platform names", async () => {
    for (const name of ['multiarch', 'multiarchDocker'] as const) {
      const pulled = await root.run(['pull', registry.images[name]]);
      expect(pulled.code).toBe(0);
      const image = await inspect(root, registry.images[name]);
      expect(image.Id).toBe(registry.built[name].id);
      expect(image.RepoDigests).toContain(`${registry.host}/multiarch@${registry.built[name].digest}`);
      withMergedView(root, image.GraphDriver.Data.LowerDir, (merged) =>
        expect(readFileSync(join(merged, 'etc/koker-platform'), 'utf8')).toBe(`${HOST_PLATFORM}\n`),
      );
    }
    const other = HOST_ARCH === 'amd64' ? 'linux/arm64' : 'linux/arm/v7';
    const pulled = await root.run(['pull', '--platform', other, registry.images.multiarch]);
    expect(pulled.code).toBe(0);
    const image = await inspect(root, registry.images.multiarch);
    expect(image.Architecture).toBe(other.split('/')[1]);
    withMergedView(root, image.GraphDriver.Data.LowerDir, (merged) =>
      expect(readFileSync(join(merged, 'etc/koker-platform'), 'utf8')).toMatch(new RegExp(`^${other}`)),
    );
    const missing = await root.run(['pull', '--platform', 'linux/s390x', registry.images.multiarch]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `koker: no matching manifest for linux/s390x in the index of ${registry.images.multiarch}`,
    );
    expect(missing.stderr).toContain('koker: hint: choose one with --platform');
  });

  it('unpacks zstd and uncompressed layers', async () => {
    for (const name of ['zstd', 'uncompressed'] as const) {
      const pulled = await root.run(['pull', registry.images[name]]);
      expect(pulled.code).toBe(0);
      const image = await inspect(root, registry.images[name]);
      expect(image.RootFS.Layers).toEqual(registry.built[name].diffIds);
      withMergedView(root, image.GraphDriver.Data.LowerDir, (merged) => {
        expect(readFileSync(join(merged, 'etc/koker-platform'), 'utf8')).toBe(`${name}\n`);
        expect(statSync(join(merged, 'bin/busybox')).size).toBe(statSync('/bin/busybox').size);
      });
    }
  });

  it('pulls docker.io images through a mirror (KOKER_REGISTRY_MIRROR), skipping one that is down', async () => {
    const mirror = await fixtureRegistry({ writable: true });
    const fresh = await tempRoot('pull-mirror');
    try {
      await mirror.push('busybox', 'library/busybox:latest');
      const env = { KOKER_REGISTRY_MIRROR: `http://127.0.0.1:1,${mirror.url}` };
      const pulled = await fresh.run(['pull', 'busybox'], { env });
      expect(pulled.code).toBe(0);
      expect(pulled.stderr).toContain('WRN Registry mirror failed, trying the next');
      expect(pulled.stdout).toContain(
        'Status: Downloaded newer image for busybox:latest\ndocker.io/library/busybox:latest\n',
      );
      expect((await inspect(fresh, 'busybox')).Id).toBe(registry.built.busybox.id);
    } finally {
      await fresh.remove();
      await mirror.stop();
    }
  });

  it('pulls by digest: the image has a repo digest and no tag', async () => {
    const fresh = await tempRoot('pull-digest');
    try {
      const reference = `${registry.host}/busybox@${registry.built.busybox.digest}`;
      const pulled = await fresh.run(['pull', reference]);
      expect(pulled.code).toBe(0);
      expect(pulled.stdout).toContain(`Digest: ${registry.built.busybox.digest}`);
      expect((await fresh.run(['images'])).stdout).toContain(
        `${registry.host}/busybox   <none>    ${registry.built.busybox.id.slice(7, 19)}`,
      );
      expect((await inspect(fresh, reference)).RepoTags).toEqual([]);
    } finally {
      await fresh.remove();
    }
  });
});
