import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCgroupParentName } from '@koker/cgroups';
import { leaksBetween, snapshotHost, type HostSnapshot } from '../../helpers/host-leaks.js';
import { koker, type KokerOptions, type KokerResult } from '../../helpers/koker.js';
import { removeCgroupParent } from '../../helpers/koker-root.js';

const BUILD_BUSYBOX = fileURLToPath(new URL('../../../scripts/build-busybox-image.sh', import.meta.url));

/**
 * A koker root of its own with two images loaded from archives (no registry, no network):
 * `busybox` (scripts/build-busybox-image.sh) and `hostile`, busybox plus a layer of symlinks that
 * point at a host directory (`canary`, by absolute and by relative paths) and at the host's /etc,
 * as an image built to reach the host through `koker cp` would.
 */
export interface FilesSuite {
  readonly root: string;
  /** A host directory the hostile image aims at: it must never change, nor be read. */
  readonly canary: string;
  readonly work: string;
  koker(args: readonly string[], options?: KokerOptions): Promise<KokerResult>;
  must(args: readonly string[], options?: KokerOptions): Promise<string>;
  leaks(): string[];
  stop(): Promise<void>;
}

/** Every name under `dir` with its type, mode, owner, size, link target and content hash. */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (path: string) => {
    const stats = lstatSync(path);
    hash.update(`${path} ${stats.mode} ${stats.uid}:${stats.gid} ${stats.size} ${stats.mtimeMs}\n`);
    if (stats.isSymbolicLink()) hash.update(readlinkSync(path));
    else if (stats.isFile()) hash.update(readFileSync(path));
    else if (stats.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
  };
  walk(dir);
  return hash.digest('hex');
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** busybox with one more layer: the symlinks of `links` (name -> target). */
function hostileImage(work: string, busyboxTar: string, links: Record<string, string>): string {
  const image = join(work, 'hostile-image');
  mkdirSync(image);
  execFileSync('tar', ['-xf', busyboxTar, '-C', image]);
  const layerRoot = join(work, 'hostile-layer');
  for (const [name, target] of Object.entries(links)) {
    mkdirSync(join(layerRoot, name, '..'), { recursive: true });
    symlinkSync(target, join(layerRoot, name));
  }
  const layerTar = join(work, 'hostile-layer.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', layerTar, '-C', layerRoot, '.']);
  const diffId = sha256(layerTar);
  mkdirSync(join(image, diffId));
  execFileSync('mv', [layerTar, join(image, diffId, 'layer.tar')]);
  const manifest = JSON.parse(readFileSync(join(image, 'manifest.json'), 'utf8')) as {
    Config: string;
    RepoTags: string[];
    Layers: string[];
  }[];
  const entry = manifest[0]!;
  const config = JSON.parse(readFileSync(join(image, entry.Config), 'utf8')) as {
    rootfs: { diff_ids: string[] };
    history: unknown[];
  };
  config.rootfs.diff_ids.push(`sha256:${diffId}`);
  config.history.push({ created: '2024-01-01T00:00:00Z', created_by: 'hostile symlinks' });
  rmSync(join(image, entry.Config));
  writeFileSync(join(image, 'config.json'), JSON.stringify(config));
  const configId = sha256(join(image, 'config.json'));
  execFileSync('mv', [join(image, 'config.json'), join(image, `${configId}.json`)]);
  entry.Config = `${configId}.json`;
  entry.RepoTags = ['hostile:latest'];
  entry.Layers.push(`${diffId}/layer.tar`);
  writeFileSync(join(image, 'manifest.json'), JSON.stringify(manifest));
  rmSync(join(image, 'repositories'), { force: true });
  const out = join(work, 'hostile.tar');
  execFileSync('tar', ['-cf', out, '-C', image, '.']);
  return out;
}

export async function startFilesSuite(): Promise<FilesSuite> {
  const before: HostSnapshot = snapshotHost();
  const root = mkdtempSync(join(tmpdir(), 'koker-e2e-files-'));
  const work = mkdtempSync(join(tmpdir(), 'koker-e2e-files-work-'));
  const canary = mkdtempSync(join(tmpdir(), 'koker-e2e-canary-'));
  writeFileSync(join(canary, 'secret'), 'the host secret\n');
  mkdirSync(join(canary, 'sub'));
  writeFileSync(join(canary, 'sub', 'file'), 'host file\n');
  const run = (args: readonly string[], options: KokerOptions = {}) =>
    koker(['--root', root, ...args], options);
  const must = async (args: readonly string[], options: KokerOptions = {}) => {
    const result = await run(args, options);
    if (result.code !== 0)
      throw new Error(`koker ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const busyboxTar = join(work, 'busybox.tar');
  execFileSync(BUILD_BUSYBOX, [busyboxTar], { stdio: 'ignore' });
  await must(['load', '-i', busyboxTar]);
  const depth = '../'.repeat(12);
  await must([
    'load',
    '-i',
    hostileImage(work, busyboxTar, {
      'tmp/x': '/etc',
      'tmp/c': canary,
      'tmp/rel': `${depth}${canary.slice(1)}`,
      evil: '/',
      'home/secretlink': join(canary, 'secret'),
    }),
  ]);
  return {
    root,
    canary,
    work,
    koker: run,
    must,
    leaks: () =>
      leaksBetween(before, snapshotHost()).filter(
        (leak) => leak.includes(root) || leak.includes(defaultCgroupParentName(root)),
      ),
    stop: async () => {
      const left = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (left.length > 0) await run(['rm', '-f', ...left]);
      await removeCgroupParent(defaultCgroupParentName(root));
      rmSync(root, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
      rmSync(canary, { recursive: true, force: true });
    },
  };
}
