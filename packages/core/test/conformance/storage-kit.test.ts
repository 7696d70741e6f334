import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  type AppliedLayer,
  type ApplyOptions,
  type ContainerId,
  type PrepareOptions,
  type PreparedRootfs,
  type StorageDriver,
} from '../../src/index.js';
import {
  describeStorageDriver,
  readRootFile,
  recordingLogger,
  type StorageSubject,
} from '../../src/testing/index.js';
import { failedTests, failures, runSuite } from './run-suite.js';

// The good driver is the third-party example of the e2e suite (plain JS, its own tar reader): the
// kit is what its author would run. Each broken one breaks one promise of the contract.
const fixture = (file: string) =>
  new URL(`../../../../e2e/fixtures/driver-module/${file}`, import.meta.url).href;
type DriverClass = new (context: { config: typeof DEFAULT_CONFIG; log: unknown }) => StorageDriver;
const { CopyDirStorage } = (await import(fixture('copydir-storage.mjs'))) as { CopyDirStorage: DriverClass };
const { tarEntries } = (await import(fixture('tar-entries.mjs'))) as {
  tarEntries: (tar: Buffer) => Iterable<{ name: string; type: string; data: Buffer; linkname: string }>;
};

type Breakage =
  | 'none'
  | 'compressed-diff-id'
  | 'writes-anywhere'
  | 'bottom-wins'
  | 'overlay-bottom-first'
  | 'release-keeps-root';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function brokenDriver(broken: Breakage, config: typeof DEFAULT_CONFIG): StorageDriver {
  const driver = new CopyDirStorage({ config, log: recordingLogger().log });
  const applyLayer = driver.applyLayer.bind(driver);
  const prepare = driver.prepare.bind(driver);
  switch (broken) {
    case 'compressed-diff-id':
      return Object.assign(driver, {
        applyLayer: async (stream: Readable, options: ApplyOptions): Promise<AppliedLayer> => {
          const applied = await applyLayer(stream, options);
          return { ...applied, diffId: `${applied.diffId.slice(0, -4)}0000` as AppliedLayer['diffId'] };
        },
      });
    case 'writes-anywhere':
      // The naive applier: joins names to the target and follows whatever symlinks are there.
      return Object.assign(driver, {
        applyLayer: async (stream: Readable, options: ApplyOptions): Promise<AppliedLayer> => {
          const blob = await bytesOf(stream);
          const tar = blob[0] === 0x1f ? gunzipSync(blob) : blob;
          mkdirSync(options.target, { recursive: true });
          for (const entry of tarEntries(tar)) {
            const path = join(options.target, entry.name);
            if (entry.type === '0') {
              mkdirSync(dirname(path), { recursive: true });
              writeFileSync(path, entry.data);
            }
          }
          return { diffId: 'sha256:0' as AppliedLayer['diffId'], size: 0 };
        },
      });
    case 'bottom-wins':
      return Object.assign(driver, {
        prepare: (
          id: ContainerId,
          dirs: readonly string[],
          options: PrepareOptions,
        ): Promise<PreparedRootfs> => prepare(id, [...dirs].reverse(), options),
      });
    case 'overlay-bottom-first':
      // Reads right through readFile, but hands the launcher an overlay of the layers reversed.
      return Object.assign(driver, {
        prepare: async (
          id: ContainerId,
          dirs: readonly string[],
          options: PrepareOptions,
        ): Promise<PreparedRootfs> => {
          const rootfs = await prepare(id, dirs, options);
          const dir = dirname(rootfs.path);
          for (const sub of ['upper', 'work']) mkdirSync(join(dir, sub));
          return {
            ...rootfs,
            overlay: {
              lowerDirs: [...dirs].reverse(),
              upperDir: join(dir, 'upper'),
              workDir: join(dir, 'work'),
              volatile: true,
            },
            readFile: (path) => readRootFile({ path: rootfs.path, readOnly: false }, path),
          };
        },
      });
    case 'release-keeps-root':
      return Object.assign(driver, { release: async () => [] });
    default:
      return driver;
  }
}

function subject(broken: Breakage): StorageSubject {
  const root = mkdtempSync(join(tmpdir(), 'koker-storage-kit-'));
  return {
    driver: brokenDriver(broken, { ...DEFAULT_CONFIG, root, runRoot: join(root, 'run') }),
    layersDir: join(root, 'layers'),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

const run = (broken: Breakage) =>
  runSuite((t) => describeStorageDriver(t, { name: broken, create: () => subject(broken) }));

describe('describeStorageDriver', () => {
  it('passes a driver that keeps every promise (the third-party copydir example)', async () => {
    const outcome = await run('none');
    expect(outcome.failed, failures(outcome)).toEqual([]);
    expect(outcome.passed.length).toBe(10);
  });

  it('fails a driver whose diff ID is not the sha256 of the uncompressed tar', async () => {
    expect(failedTests(await run('compressed-diff-id'))).toEqual([
      'applies files, directories, symlinks and hard links into the target; the diff ID is the sha256 of the uncompressed tar',
    ]);
  });

  it('fails a driver that writes through symlinks and ".." out of the target', async () => {
    expect(failedTests(await run('writes-anywhere'))).toContain(
      'refuses entries that would leave the target, and changes nothing outside it',
    );
  });

  it('fails a driver that merges the layers bottom first', async () => {
    expect(failedTests(await run('bottom-wins'))).toEqual([
      'prepares a root showing the layers merged topmost first: overrides, whiteouts, opaque directories, links inside the root',
    ]);
  });

  it('fails a driver that hands the launcher an overlay of the layers bottom first', async () => {
    expect(failedTests(await run('overlay-bottom-first'))).toEqual([
      'prepares a root showing the layers merged topmost first: overrides, whiteouts, opaque directories, links inside the root',
    ]);
  });

  it('fails a driver whose release leaves the root behind', async () => {
    expect(failedTests(await run('release-keeps-root'))).toEqual(
      expect.arrayContaining(['release removes what prepare made, leaves the layers, and may be repeated']),
    );
  });
});
