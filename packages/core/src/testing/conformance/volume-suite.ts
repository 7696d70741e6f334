import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type VolumeDriver } from '../../contracts/volume.js';
import { newContainerId } from '../../domain/container-id.js';
import { withSubject, type SubjectBase, type TestFunctions } from './test-functions.js';

export interface VolumeSubject extends SubjectBase {
  readonly driver: VolumeDriver;
}

export interface VolumeSuiteOptions {
  readonly name?: string;
  /** A fresh driver (over fresh state) for each test. */
  create(): VolumeSubject | Promise<VolumeSubject>;
}

const unique = (base: string) => `${base}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * The VolumeDriver contract as the engine relies on it: a created volume is found by `get` and
 * `list` with its labels and options, creating it again returns it unchanged, what is written
 * through its mount persists until `remove`, after which it is gone (and a second remove fails).
 */
export function describeVolumeDriver(t: TestFunctions, options: VolumeSuiteOptions): void {
  const test = (name: string, body: (s: VolumeSubject) => Promise<void>) =>
    t.it(name, () => withSubject(options.create, body));

  t.describe(options.name ?? 'VolumeDriver conformance', () => {
    test('create makes a volume that get and list report, with its labels', async (s) => {
      const name = unique('vol');
      const volume = await s.driver.create({ name, options: {}, labels: { app: 'web' } });
      assert.equal(volume.name, name);
      assert.equal(volume.driver, s.driver.name);
      assert.deepEqual({ ...volume.labels }, { app: 'web' });
      assert.ok(!Number.isNaN(Date.parse(volume.createdAt)), 'createdAt is a time');
      assert.deepEqual(await s.driver.get(name), volume);
      assert.ok(
        (await s.driver.list()).some((v) => v.name === name),
        'list() reports it',
      );
      await s.driver.remove(name);
    });

    test('creating a volume that exists returns it unchanged', async (s) => {
      const name = unique('again');
      const first = await s.driver.create({ name, options: {}, labels: { n: '1' } });
      const second = await s.driver.create({ name, options: {}, labels: { n: '2' } });
      assert.deepEqual(second, first);
      await s.driver.remove(name);
    });

    test('get of a missing volume is undefined; remove of one fails', async (s) => {
      const name = unique('missing');
      assert.equal(await s.driver.get(name), undefined);
      await assert.rejects(s.driver.remove(name));
    });

    test('what is written through the mount persists across mounts and goes with remove', async (s) => {
      const name = unique('data');
      await s.driver.create({ name, options: {}, labels: {} });
      const first = newContainerId();
      const source = await s.driver.mount(name, first);
      assert.equal(source.kind, 'bind', 'a volume without options is a directory to bind');
      if (source.kind !== 'bind') return;
      assert.ok(statSync(source.path).isDirectory(), 'the bind source is a directory');
      writeFileSync(join(source.path, 'kept'), 'yes');
      await s.driver.unmount(name, first);
      const second = newContainerId();
      const again = await s.driver.mount(name, second);
      assert.equal(again.kind === 'bind' && readFileSync(join(again.path, 'kept'), 'utf8'), 'yes');
      await s.driver.unmount(name, second);
      await s.driver.remove(name);
      assert.equal(await s.driver.get(name), undefined);
      assert.equal(
        (await s.driver.list()).some((v) => v.name === name),
        false,
      );
      assert.equal(existsSync(source.path), false, `${source.path} is removed with the volume`);
    });

    test('mount of a missing volume fails', async (s) => {
      await assert.rejects(s.driver.mount(unique('nothing'), newContainerId()));
    });
  });
}
