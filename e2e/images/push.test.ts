import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes, type Digest } from '@koker/core';
import { OciRegistrySource } from '@koker/registry-oci';
import { fixtureArchives, fixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-registry.js';
import { BUSYBOX } from '../fixtures/images.js';
import { removeCgroupTree } from '../helpers/cgroup-tree.js';
import { KOKER_BIN } from '../helpers/koker.js';
import { inspect, tempRoot, type TempRoot } from './image-helpers.js';

const run = promisify(execFile);

/** skopeo against a loopback registry (plain HTTP). */
async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The per-layer lines of a push's output, by status. */
function layerLines(stdout: string, status: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => new RegExp(`^[0-9a-f]{12}: ${status}$`).test(line))
    .map((line) => line.slice(0, 12));
}

describe('koker push to real registries', () => {
  let source: FixtureRegistry;
  let root: TempRoot;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    source = await fixtureRegistry();
    root = await tempRoot('push');
    env = { DOCKER_CONFIG: join(root.dir, 'docker') };
    for (const image of [source.images.busybox, source.images.layered]) {
      const pulled = await root.run(['pull', '-q', image]);
      expect(pulled.code, pulled.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await source?.stop();
    await root?.remove();
  });

  describe('anonymous registry', () => {
    let target: FixtureRegistry;
    beforeAll(async () => {
      target = await fixtureRegistry({ writable: true });
    });
    afterAll(() => target?.stop());

    it('pushes a pulled image under a new name with the same manifest digest; skopeo reads it', async () => {
      const name = `${target.host}/app:1`;
      expect((await root.run(['tag', source.images.busybox, name])).code).toBe(0);
      const pushed = await root.run(['push', name], { env });
      expect(pushed.stderr).toBe('');
      expect(pushed.code).toBe(0);
      const digest = source.built.busybox.digest;
      const layers = source.built.busybox.diffIds.map((d) => d.slice(7, 19));
      expect(pushed.stdout).toMatch(
        new RegExp(
          `^The push refers to repository \\[${target.host}/app\\]\n(${layers[0]}: Preparing\n)${layers[0]}: Pushed\n1: digest: ${digest} size: \\d+\n$`,
        ),
      );
      const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${name}`])) as {
        Digest: string;
        Layers: string[];
      };
      expect(inspected.Digest).toBe(digest);
      expect(inspected.Layers).toEqual(source.built.busybox.layers);
      const copyDir = await mkdtemp(join(tmpdir(), 'koker-e2e-push-copy-'));
      try {
        await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${name}`, `dir:${copyDir}`]);
      } finally {
        await rm(copyDir, { recursive: true, force: true });
      }
      // Docker records the pushed manifest as a repo digest of the image.
      expect((await inspect(root, name)).RepoDigests).toContain(`${target.host}/app@${digest}`);
    });

    it('says "Layer already exists" when pushing again, and mounts across repositories', async () => {
      const name = `${target.host}/app:1`;
      const again = await root.run(['push', name]);
      expect(again.code).toBe(0);
      expect(layerLines(again.stdout, 'Layer already exists')).toHaveLength(1);

      const other = `${target.host}/other/app:2`;
      await root.run(['tag', name, other]);
      const mounted = await root.run(['push', other]);
      expect(mounted.stderr).toBe('');
      expect(mounted.code).toBe(0);
      expect(layerLines(mounted.stdout, 'Mounted from app')).toHaveLength(1);
      expect(mounted.stdout).toContain(`2: digest: ${source.built.busybox.digest} size: `);
    });

    it('pushes every tag of a repository with --all-tags, and only the reference with -q', async () => {
      await root.run(['tag', source.images.layered, `${target.host}/multi:a`]);
      await root.run(['tag', source.images.busybox, `${target.host}/multi:b`]);
      const all = await root.run(['push', '--all-tags', `${target.host}/multi`]);
      expect(all.stderr).toBe('');
      expect(all.code).toBe(0);
      expect(all.stdout).toContain(`a: digest: ${source.built.layered.digest} size: `);
      expect(all.stdout).toContain(`b: digest: ${source.built.busybox.digest} size: `);
      const quiet = await root.run(['image', 'push', '-q', `${target.host}/multi:a`]);
      expect(quiet.stdout).toBe(`${target.host}/multi:a\n`);
      const tagged = await root.run(['push', '-a', `${target.host}/multi:a`]);
      expect(tagged.code).toBe(125);
      expect(tagged.stderr).toContain("tag can't be used with --all-tags/-a");
      // A name alone is its latest tag, as with docker's CLI: none here, so nothing is pushed.
      const untagged = await root.run(['push', `${target.host}/multi`]);
      expect(untagged.code).toBe(1);
      // As dockerd, the repository is said before the tag is looked for.
      expect(untagged.stdout).toBe(
        `Using default tag: latest\nThe push refers to repository [${target.host}/multi]\n`,
      );
      expect(untagged.stderr).toContain(`An image does not exist locally with the tag: ${target.host}/multi`);
      const missing = await root.run(['push', `${target.host}/nothing:here`]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        `An image does not exist locally with the tag: ${target.host}/nothing`,
      );
    });

    it('draws each layer in place on a terminal, topmost first', async () => {
      const name = `${target.host}/terminal:1`;
      await root.run(['tag', source.images.layered, name]);
      // script(1) gives koker a pseudo-terminal, as a user's shell would.
      const { stdout: screen } = await run(
        'script',
        ['-qec', `${KOKER_BIN} --root ${root.dir} push ${name}`, '/dev/null'],
        { env: { ...process.env, NO_COLOR: '1' } },
      );
      const ids = source.built.layered.diffIds.map((d) => d.slice(7, 19));
      expect(screen).toContain('\x1b[2K');
      // Layers shared with an image pushed earlier to this registry are mounted from its repository.
      for (const id of ids) expect(screen).toMatch(new RegExp(`${id}: (Pushed|Mounted from [a-z/]+)\r?\n`));
      // The first drawing lists the layers top to bottom, as Docker does.
      const first = screen
        .split('\x1b[2K')
        .slice(1, ids.length + 1)
        .map((l) => l.slice(0, 12));
      expect(first).toEqual([...ids].reverse());
      expect(screen).toContain(`1: digest: ${source.built.layered.digest} size: `);
    });

    it('sends a blob in PATCH chunks that the real registry accepts', async () => {
      // Small limits force chunks for a small image (koker's own: 64 MiB in one PUT, 32 MiB chunks).
      const layer = Buffer.alloc(50_000, 3);
      const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
        }),
      );
      const blob = (bytes: Buffer, mediaType: string) => ({
        descriptor: { mediaType, digest: digestOf(bytes) as Digest, size: bytes.length },
        open: (start: number, end: number) => Readable.from([bytes.subarray(start, end)]),
      });
      const layerBlob = { ...blob(layer, MediaTypes.ociLayer), id: 'chunked' };
      const configBlob = blob(config, MediaTypes.ociConfig);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          config: configBlob.descriptor,
          layers: [layerBlob.descriptor],
        }),
      );
      const client = new OciRegistrySource({ dockerConfig: join(root.dir, 'no-config.json') });
      try {
        const result = await client.push(
          target.host,
          {
            layers: [layerBlob],
            config: configBlob,
            manifest: { mediaType: MediaTypes.ociManifest, bytes: manifest },
          },
          { repository: 'chunked', tag: 'v1', limits: { monolithicMax: 1000, chunkSize: 16_384 } },
        );
        expect(result.digest).toBe(digestOf(manifest));
      } finally {
        await client.close();
      }
      const copyDir = await mkdtemp(join(tmpdir(), 'koker-e2e-push-chunked-'));
      try {
        await skopeo([
          'copy',
          '--quiet',
          '--src-tls-verify=false',
          `docker://${target.host}/chunked:v1`,
          `dir:${copyDir}`,
        ]);
        expect(readFileSync(join(copyDir, digestOf(layer).slice(7))).equals(layer)).toBe(true);
      } finally {
        await rm(copyDir, { recursive: true, force: true });
      }
    });

    it('what koker pushed, podman pulls and runs', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'koker-e2e-podman-'));
      const cgroupParent = `koker-e2e-podman-${process.pid}`;
      const podman = (args: string[]) =>
        run(
          'podman',
          [
            '--root',
            join(dir, 'root'),
            '--runroot',
            join(dir, 'runroot'),
            '--tmpdir',
            join(dir, 'tmp'),
            '--storage-driver',
            'vfs',
            '--cgroup-manager',
            'cgroupfs',
            '--events-backend',
            'file',
            ...args,
          ],
          { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, HOME: dir } },
        );
      try {
        const name = `${target.host}/podman:1`;
        await root.run(['tag', source.images.layered, name]);
        expect((await root.run(['push', '-q', name])).code).toBe(0);
        await podman(['pull', '--quiet', '--tls-verify=false', name]);
        const { stdout } = await podman([
          'run',
          '--rm',
          '--network',
          'none',
          // crun refuses hybrid cgroups; this sandbox may not raise rlimits to podman's defaults.
          '--runtime',
          'runc',
          '--cgroup-parent',
          `/${cgroupParent}`,
          '--ulimit',
          'nofile=1024:1024',
          '--ulimit',
          'nproc=1024:1024',
          name,
          'sh',
          '-c',
          'readlink /data/link-to-file; echo ran',
        ]);
        expect(stdout).toContain('ran\n');
      } finally {
        await podman(['rmi', '--all', '--force']).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
        removeCgroupTree(cgroupParent);
      }
    });
  });

  it('pushes an imported image with the manifest it was stored with, and records a push event', async () => {
    const targets = [await fixtureRegistry({ writable: true }), await fixtureRegistry({ writable: true })];
    try {
      const tarball = join(root.dir, 'rootfs.tar');
      await run('tar', ['-cf', tarball, '--transform', 's,^.*/busybox$,bin/busybox,', BUSYBOX]);
      const imported = await root.run(['import', '-c', 'CMD ["busybox", "echo", "imported"]', tarball]);
      expect(imported.code, imported.stderr).toBe(0);
      const id = imported.stdout.trim();
      const since = Math.floor(Date.now() / 1000) - 1;
      const digests: string[] = [];
      for (const target of targets) {
        const name = `${target.host}/imported:1`;
        await root.run(['tag', id, name]);
        const pushed = await root.run(['push', name]);
        expect(pushed.stderr).toBe('');
        expect(pushed.code).toBe(0);
        const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(pushed.stdout)?.[1];
        const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${name}`])) as {
          Digest: string;
          Layers: string[];
        };
        expect(inspected.Digest).toBe(digest);
        expect(inspected.Layers).toHaveLength(1);
        digests.push(digest ?? '');
      }
      // The stored manifest goes out both times: the same digest everywhere.
      expect(digests[0]).toBe(digests[1]);
      const events = await root.run([
        'events',
        '--since',
        String(since),
        '--until',
        String(Date.now() / 1000 + 0.5),
        '--filter',
        'event=push',
        '--format',
        '{{.Type}} {{.Action}} {{.Actor.ID}}',
      ]);
      expect(
        events.stdout
          .split('\n')
          .filter((line) => line.endsWith('/imported:1'))
          .map((l) => `${l}\n`)
          .join(''),
      ).toBe(targets.map((t) => `image push ${t.host}/imported:1\n`).join(''));
    } finally {
      for (const target of targets) await target.stop();
    }
  });

  it('pushes a loaded docker save archive (no stored manifest: one made from its layer blobs)', async () => {
    const target = await fixtureRegistry({ writable: true });
    const loadRoot = await tempRoot('push-load');
    try {
      const { busyboxDocker } = await fixtureArchives();
      expect((await loadRoot.run(['load', '-q', '-i', busyboxDocker])).code).toBe(0);
      const name = `${target.host}/loaded:1`;
      await loadRoot.run(['tag', 'busybox:latest', name]);
      const first = await loadRoot.run(['push', name]);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(first.stdout)?.[1];
      const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${name}`])) as {
        Digest: string;
        Layers: string[];
      };
      expect(inspected.Digest).toBe(digest);
      expect(inspected.Layers).toHaveLength(1);
      // The manifest is made the same way every time: pushing again gives the same digest.
      const again = await loadRoot.run(['push', name]);
      expect(again.stdout).toContain(`1: digest: ${digest} size: `);
      expect(layerLines(again.stdout, 'Layer already exists')).toHaveLength(1);
    } finally {
      await loadRoot.remove();
      await target.stop();
    }
  });

  describe('htpasswd (Basic) registry', () => {
    it('refuses without a login and pushes after koker login', async () => {
      const target = await fixtureRegistry({ auth: 'basic', writable: true });
      try {
        const name = `${target.host}/private:1`;
        await root.run(['tag', source.images.busybox, name]);
        const denied = await root.run(['push', name], { env });
        expect(denied.code).toBe(1);
        expect(denied.stderr).toContain(`koker: ${target.host} requires authentication`);
        expect(denied.stderr).toContain(`koker: hint: log in with: koker login ${target.host}`);
        const login = await root.run(['login', target.host, '-u', 'koker', '--password-stdin'], {
          env,
          input: target.credentials?.password,
        });
        expect(login.code).toBe(0);
        const pushed = await root.run(['push', name], { env });
        expect(pushed.stderr).toBe('');
        expect(pushed.code).toBe(0);
        expect(pushed.stdout).toContain(`1: digest: ${source.built.busybox.digest} size: `);
        await root.run(['logout', target.host], { env });
      } finally {
        await target.stop();
      }
    });
  });

  describe('Bearer token registry', () => {
    it('asks for pull,push scopes (and the source pull scope for a mount) with the stored credentials', async () => {
      const target = await fixtureRegistry({ auth: 'token', writable: true });
      try {
        const name = `${target.host}/team/app:1`;
        await root.run(['tag', source.images.layered, name]);
        const denied = await root.run(['push', name], { env });
        expect(denied.code).toBe(1);
        expect(denied.stderr).toContain(`koker: push access denied for ${target.host}/team/app`);
        expect(denied.stderr).toContain(`koker: hint: log in with: koker login ${target.host}`);

        const login = await root.run(['login', target.host, '-u', 'koker', '--password-stdin'], {
          env,
          input: target.credentials?.password,
        });
        expect(login.code).toBe(0);
        const pushed = await root.run(['push', name], { env });
        expect(pushed.stderr).toBe('');
        expect(pushed.code).toBe(0);
        expect(layerLines(pushed.stdout, 'Pushed')).toHaveLength(source.built.layered.layers.length);
        expect(target.tokenRequests).toContainEqual({
          account: 'koker',
          scope: ['repository:team/app:pull,push'],
          anonymous: false,
        });

        const copy = `${target.host}/team/copy:1`;
        await root.run(['tag', name, copy]);
        const mounted = await root.run(['push', copy], { env });
        expect(mounted.code).toBe(0);
        expect(layerLines(mounted.stdout, 'Mounted from team/app')).toHaveLength(
          source.built.layered.layers.length,
        );
        expect(target.tokenRequests).toContainEqual({
          account: 'koker',
          scope: ['repository:team/copy:pull,push', 'repository:team/app:pull'],
          anonymous: false,
        });
        await root.run(['logout', target.host], { env });
      } finally {
        await target.stop();
      }
    });
  });
});
