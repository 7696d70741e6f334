import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { koker, type KokerOptions, type KokerResult } from '../helpers/koker.js';

/** A koker root for one test file (never /var/lib/koker), removed by `remove()`. */
export interface TempRoot {
  readonly dir: string;
  /** Runs koker with `--root` set to this root. */
  run(args: readonly string[], options?: KokerOptions): Promise<KokerResult>;
  /** Entries of a store directory (`layers/sha256`, `tmp`, ...), empty when it does not exist. */
  entries(path: string): string[];
  remove(): Promise<void>;
}

export async function tempRoot(label: string): Promise<TempRoot> {
  const dir = await mkdtemp(join(tmpdir(), `koker-e2e-${label}-`));
  return {
    dir,
    run: (args, options) => koker(['--root', dir, ...args], options),
    entries: (path) => {
      const full = join(dir, 'images', path);
      return existsSync(full) ? readdirSync(full) : [];
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What a failed command must leave: no image, no tag, no work directory. */
export async function expectNothingStored(
  root: TempRoot,
): Promise<{ images: string; tmp: string[]; imageRecords: string[] }> {
  const listed = await root.run(['images', '-q']);
  return { images: listed.stdout, tmp: root.entries('tmp'), imageRecords: root.entries('images/sha256') };
}

export interface InspectedImage {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  Config: {
    Cmd?: string[];
    Env?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    StopSignal?: string;
  };
  RootFS: { Layers: string[] };
  GraphDriver: { Data: { LowerDir: string } };
}

export async function inspect(root: TempRoot, name: string): Promise<InspectedImage> {
  const result = await root.run(['image', 'inspect', name]);
  if (result.code !== 0) throw new Error(`inspect ${name} failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as InspectedImage[])[0] as InspectedImage;
}
