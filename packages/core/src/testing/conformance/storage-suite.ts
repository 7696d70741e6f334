import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type PrepareOptions, type PreparedRootfs, type StorageDriver } from '../../contracts/storage.js';
import { newContainerId } from '../../domain/container-id.js';
import { isKokerError } from '../../errors/koker-error.js';
import { layerBlob, type LayerEntry } from './layer-tar.js';
import { readRootFile } from './root-reader.js';
import { withSubject, type SubjectBase, type TestFunctions } from './test-functions.js';

export interface StorageSubject extends SubjectBase {
  readonly driver: StorageDriver;
  /** An absolute directory the suite applies its layers under (each into a new child). */
  readonly layersDir: string;
}

export interface StorageSuiteOptions {
  /** Shown in the suite's name; default: the driver's name is not known before create(). */
  readonly name?: string;
  /** A fresh driver for each test (a fresh root and layers directory, so tests do not meet). */
  create(): StorageSubject | Promise<StorageSubject>;
  /** How prepare is called; default as `koker run` does: `{ readOnly: false, inContainer: true, volatile: true }`. */
  readonly prepareOptions?: PrepareOptions;
}

const ENGINE_PREPARE: PrepareOptions = { readOnly: false, inContainer: true, volatile: true };

/**
 * The StorageDriver contract as the engine relies on it: pulls stream layers through
 * `applyLayer` (files, directories, links and whiteouts written safely, the diff ID checked
 * against the image config), `koker run` prepares a root from layer directories (topmost first)
 * and reads the image's /etc/passwd through it, teardown releases it (idempotently), garbage
 * collection lists what is prepared.
 */
export function describeStorageDriver(t: TestFunctions, options: StorageSuiteOptions): void {
  const prepareOptions = options.prepareOptions ?? ENGINE_PREPARE;
  const test = (name: string, body: (s: StorageSubject) => Promise<void>) =>
    t.it(name, () => withSubject(options.create, body));

  const apply = async (s: StorageSubject, entries: readonly LayerEntry[], compression?: 'gzip' | 'none') => {
    const blob = layerBlob(entries, compression);
    const target = join(s.layersDir, `layer-${randomBytes(6).toString('hex')}`);
    const applied = await s.driver.applyLayer(blob.stream(), { target, mediaType: blob.mediaType });
    return { target, applied, blob };
  };

  t.describe(`StorageDriver conformance${options.name ? `: ${options.name}` : ''}`, () => {
    test('applies files, directories, symlinks and hard links into the target; the diff ID is the sha256 of the uncompressed tar', async (s) => {
      const entries: LayerEntry[] = [
        { type: 'dir', path: 'etc' },
        { type: 'file', path: 'etc/hello', content: 'hello from a layer\n' },
        { type: 'dir', path: 'bin', mode: 0o755 },
        { type: 'file', path: 'bin/tool', content: '#!/bin/sh\necho tool\n', mode: 0o755 },
        { type: 'symlink', path: 'bin/alias', target: 'tool' },
        { type: 'symlink', path: 'etc/absolute', target: '/etc/hello' },
        { type: 'hardlink', path: 'etc/again', target: 'etc/hello' },
        // A file whose directory has no entry of its own, as some image builders write.
        { type: 'file', path: 'deep/er/file', content: 'x' },
      ];
      for (const compression of ['gzip', 'none'] as const) {
        const { target, applied, blob } = await apply(s, entries, compression);
        assert.equal(applied.diffId, blob.diffId, `diffId of a ${compression} layer`);
        assert.ok(
          applied.size >= 'hello from a layer\n#!/bin/sh\necho tool\nx'.length,
          `size ${applied.size}`,
        );
        assert.equal(readFileSync(join(target, 'etc/hello'), 'utf8'), 'hello from a layer\n');
        assert.ok(statSync(join(target, 'bin')).isDirectory());
        assert.equal(statSync(join(target, 'bin/tool')).mode & 0o777, 0o755, 'bin/tool keeps its mode');
        assert.equal(readlinkSync(join(target, 'bin/alias')), 'tool');
        assert.equal(readlinkSync(join(target, 'etc/absolute')), '/etc/hello');
        assert.equal(statSync(join(target, 'etc/again')).ino, statSync(join(target, 'etc/hello')).ino);
        assert.equal(readFileSync(join(target, 'deep/er/file'), 'utf8'), 'x');
      }
    });

    test("creates the target's missing parent directories", async (s) => {
      const target = join(s.layersDir, `parent-${randomBytes(6).toString('hex')}`, 'child', 'layer');
      const blob = layerBlob([{ type: 'file', path: 'f', content: 'f' }]);
      await s.driver.applyLayer(blob.stream(), { target, mediaType: blob.mediaType });
      assert.equal(readFileSync(join(target, 'f'), 'utf8'), 'f');
    });

    test('refuses entries that would leave the target, and changes nothing outside it', async (s) => {
      const outside = join(s.layersDir, `outside-${randomBytes(6).toString('hex')}`);
      mkdirSync(outside, { recursive: true });
      writeFileSync(join(outside, 'precious'), 'untouched');
      const listing = () => readdirSync(outside).sort();
      const attacks: [string, LayerEntry[]][] = [
        ['a ".." name', [{ type: 'file', path: `../${outside.split('/').pop()}/dotdot`, content: 'x' }]],
        [
          'a write through a symlink to an absolute path outside',
          [
            { type: 'symlink', path: 'abs', target: outside },
            { type: 'file', path: 'abs/through-absolute', content: 'x' },
          ],
        ],
        [
          'a write through a relative symlink leading out',
          [
            { type: 'symlink', path: 'rel', target: `../${outside.split('/').pop()}` },
            { type: 'file', path: 'rel/through-relative', content: 'x' },
          ],
        ],
        [
          'a hard link to a file outside',
          [{ type: 'hardlink', path: 'stolen', target: join(outside, 'precious') }],
        ],
      ];
      for (const [what, entries] of attacks) {
        await assert.rejects(apply(s, entries), `${what} must be refused`);
        assert.deepEqual(listing(), ['precious'], `${what}: nothing may appear outside the target`);
        assert.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'untouched');
        assert.equal(statSync(join(outside, 'precious')).nlink, 1, `${what}: no link to a file outside`);
      }
    });

    test('refuses a media type that is not a layer', async (s) => {
      const blob = layerBlob([{ type: 'file', path: 'f', content: 'f' }]);
      const target = join(s.layersDir, `bad-type-${randomBytes(6).toString('hex')}`);
      await assert.rejects(
        s.driver.applyLayer(blob.stream(), {
          target,
          mediaType: 'application/vnd.oci.image.config.v1+json',
        }),
        (error: unknown) => isKokerError(error),
      );
    });

    test('prepares a root showing the layers merged topmost first: overrides, whiteouts, opaque directories, links inside the root', async (s) => {
      const bottom = await apply(s, [
        { type: 'dir', path: 'etc' },
        { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
        { type: 'file', path: 'etc/motd', content: 'from the bottom layer\n' },
        { type: 'file', path: 'etc/gone', content: 'whited out above\n' },
        { type: 'dir', path: 'cache' },
        { type: 'file', path: 'cache/old', content: 'hidden by an opaque directory\n' },
        { type: 'dir', path: 'data' },
        { type: 'file', path: 'data/kept', content: 'kept\n' },
      ]);
      const top = await apply(s, [
        { type: 'file', path: 'etc/motd', content: 'from the top layer\n' },
        { type: 'file', path: 'etc/.wh.gone', content: '' },
        { type: 'dir', path: 'cache' },
        { type: 'file', path: 'cache/.wh..wh..opq', content: '' },
        { type: 'file', path: 'cache/new', content: 'new\n' },
        { type: 'file', path: 'data/added', content: 'added\n' },
        { type: 'symlink', path: 'passwd-link', target: '/etc/passwd' },
        { type: 'symlink', path: 'relative-link', target: 'etc/motd' },
      ]);
      const id = newContainerId();
      let rootfs: PreparedRootfs | undefined;
      try {
        rootfs = await s.driver.prepare(id, [top.target, bottom.target], prepareOptions);
        assert.ok(isAbsolute(rootfs.path), `the root path ${rootfs.path} is absolute`);
        if (rootfs.overlay) {
          // What the launcher mounts: the same layers, topmost first (overlayfs' leftmost wins).
          assert.deepEqual(
            rootfs.overlay.lowerDirs.map((dir) => realpathSync(dir)),
            [top.target, bottom.target].map((dir) => realpathSync(dir)),
            'overlay.lowerDirs are the layers, topmost first',
          );
          for (const dir of [rootfs.overlay.upperDir, rootfs.overlay.workDir])
            assert.ok(statSync(dir).isDirectory(), `${dir} is made by prepare`);
        }
        const read = (path: string) => readRootFile(rootfs as PreparedRootfs, path);
        assert.equal(read('/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
        assert.equal(read('/etc/motd'), 'from the top layer\n', 'the topmost layer wins');
        assert.equal(read('/etc/gone'), undefined, 'a whiteout hides the file below');
        assert.equal(read('/etc/.wh.gone'), undefined, 'whiteouts are not files of the root');
        assert.equal(read('/cache/old'), undefined, 'an opaque directory hides what is below');
        assert.equal(read('/cache/new'), 'new\n');
        assert.equal(read('/data/kept'), 'kept\n', 'directories merge');
        assert.equal(read('/data/added'), 'added\n');
        assert.equal(
          read('/passwd-link'),
          'root:x:0:0:root:/root:/bin/sh\n',
          'absolute links resolve in the root',
        );
        assert.equal(read('/relative-link'), 'from the top layer\n');
        assert.equal(read('/nonexistent'), undefined);
        if (s.driver.list) assert.ok((await s.driver.list()).includes(id), 'list() reports the prepared ID');
        // Preparing reads the layers and never changes them.
        assert.equal(readFileSync(join(bottom.target, 'etc/gone'), 'utf8'), 'whited out above\n');
      } finally {
        await s.driver.release(id);
      }
    });

    test('prepares the root of an image without layers', async (s) => {
      const id = newContainerId();
      try {
        const rootfs = await s.driver.prepare(id, [], prepareOptions);
        assert.equal(readRootFile(rootfs, '/etc/passwd'), undefined);
      } finally {
        assert.deepEqual(await s.driver.release(id), []);
      }
    });

    test('release removes what prepare made, leaves the layers, and may be repeated', async (s) => {
      const layer = await apply(s, [
        { type: 'file', path: 'etc/passwd', content: 'root:x:0:0::/:/bin/sh\n' },
      ]);
      const id = newContainerId();
      const rootfs = await s.driver.prepare(id, [layer.target], prepareOptions);
      const made = [
        rootfs.path,
        ...(rootfs.overlay ? [rootfs.overlay.upperDir, rootfs.overlay.workDir] : []),
      ];
      for (const path of made) assert.ok(existsSync(path), `${path} exists after prepare`);
      assert.deepEqual(await s.driver.release(id), [], 'release removed everything');
      for (const path of made) assert.equal(existsSync(path), false, `${path} is removed by release`);
      if (s.driver.list)
        assert.equal((await s.driver.list()).includes(id), false, 'list() no longer reports it');
      assert.equal(readFileSync(join(layer.target, 'etc/passwd'), 'utf8'), 'root:x:0:0::/:/bin/sh\n');
      assert.ok(lstatSync(layer.target).isDirectory());
      assert.deepEqual(await s.driver.release(id), [], 'a second release finds nothing to do');
    });

    test('releaseLater moves what prepare made out of the way, sweep removes it', async (s) => {
      if (!s.driver.releaseLater || !s.driver.sweep) return;
      const layer = await apply(s, [
        { type: 'file', path: 'etc/passwd', content: 'root:x:0:0::/:/bin/sh\n' },
      ]);
      const id = newContainerId();
      const rootfs = await s.driver.prepare(id, [layer.target], prepareOptions);
      writeFileSync(join(rootfs.overlay?.upperDir ?? rootfs.path, 'written'), 'by the container\n');
      const made = [
        rootfs.path,
        ...(rootfs.overlay ? [rootfs.overlay.upperDir, rootfs.overlay.workDir] : []),
      ];
      const released = await s.driver.releaseLater(id);
      assert.deepEqual(released.left, [], 'releaseLater released everything');
      for (const path of made) assert.equal(existsSync(path), false, `${path} is out of the way`);
      for (const path of released.aside) {
        assert.ok(isAbsolute(path), `${path} is absolute`);
        assert.ok(lstatSync(path).isDirectory(), `${path} is a directory`);
      }
      if (s.driver.list)
        assert.equal((await s.driver.list()).includes(id), false, 'list() no longer reports it');
      const swept = await s.driver.sweep();
      assert.deepEqual([...swept].sort(), [...released.aside].sort(), 'sweep removes what was moved aside');
      for (const path of swept) assert.equal(existsSync(path), false, `${path} is removed`);
      assert.deepEqual(await s.driver.sweep(), [], 'a second sweep finds nothing');
      assert.equal(readFileSync(join(layer.target, 'etc/passwd'), 'utf8'), 'root:x:0:0::/:/bin/sh\n');
      assert.deepEqual(
        await s.driver.releaseLater(id),
        { left: [], aside: [] },
        'releasing again finds nothing to do',
      );
    });

    test('release of a container never prepared is not an error', async (s) => {
      assert.deepEqual(await s.driver.release(newContainerId()), []);
    });

    test('list reports every prepared ID', async (s) => {
      if (!s.driver.list) return;
      const layer = await apply(s, [{ type: 'file', path: 'f', content: 'f' }]);
      const ids = [newContainerId(), newContainerId()];
      try {
        for (const id of ids) await s.driver.prepare(id, [layer.target], prepareOptions);
        const listed = await s.driver.list();
        for (const id of ids) assert.ok(listed.includes(id), `list() reports ${id}`);
      } finally {
        for (const id of ids) await s.driver.release(id);
      }
      const listed = await s.driver.list();
      for (const id of ids) assert.equal(listed.includes(id), false);
    });
  });
}
