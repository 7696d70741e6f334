import { type Stats } from 'node:fs';
import { type RunConfig } from '../config/apply-config-instruction.js';
import { type CacheMountSpec, type SecretMountSpec, type TmpfsMountSpec } from './run-mounts.js';

/** One entry of a layer the builder makes (the shape of fs-overlay's layer entries). */
export interface FileEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'char' | 'block';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly size: number;
  readonly linkname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  readonly content?: AsyncIterable<Buffer>;
  readonly xattrs?: ReadonlyMap<string, Buffer>;
}

/** Files the builder reads: the build context, or a stage's or an image's root filesystem. */
export interface FileSource {
  stat(path: string, follow?: boolean): Stats | undefined;
  readdir(path: string): string[];
  entries(path: string, topName: string, follow?: boolean): AsyncIterable<FileEntry>;
  readFile(path: string): Buffer;
  close(): void;
}

/** An image the build stands on: its ID and its config blob. */
export interface BuiltImage {
  readonly id: string;
  readonly configBytes: Buffer;
}

/** Files a RUN mount shows: `path` of `files` (the context, a stage's or an image's tree). */
export interface MountFiles {
  readonly files: FileSource;
  readonly path: string;
}

/**
 * A `RUN --mount` as the backend makes it: a cache directory (seeded from `seed` when new; `seedId`
 * names what seeded it, so each seed has caches of its own), a tmpfs, a secret's file, or a bind
 * of files (read-only, or a writable copy whose writes are dropped).
 */
export type RunMount =
  | (CacheMountSpec & { readonly seed?: MountFiles; readonly seedId?: string })
  | TmpfsMountSpec
  | (SecretMountSpec & { readonly content: Buffer })
  | ({ readonly type: 'bind'; readonly target: string; readonly readwrite: boolean } & MountFiles);

/** A RUN step: the command and how it runs. */
export interface RunStep {
  readonly argv: readonly string[];
  /** Build args in scope (not kept in the image). */
  readonly buildEnv: readonly string[];
  /** `RUN --network` or the build's `--network`. */
  readonly network?: string;
  /** `RUN --mount`s: none of them is part of the layer the step makes. */
  readonly mounts: readonly RunMount[];
  /** The config of the image the step makes (the parent's, as the stage has it). */
  readonly config: RunConfig;
  readonly createdBy: string;
}

/**
 * What the builder needs from koker: images, runs, layers, file trees and the cache. The CLI
 * implements it over the engine, the storage driver and the image store, so the builder
 * depends on no driver.
 */
export interface BuildBackend {
  /** An image by reference or ID: pulled when missing (or always, with `pull`). */
  image(reference: string, options: { pull: boolean }): Promise<BuiltImage>;
  /** An image by ID, when the store still has it (a cache hit must). */
  stored(id: string): Promise<BuiltImage | undefined>;
  /** Runs the step in a container of `parent`, then makes the new image of its changes. */
  run(parent: BuiltImage | undefined, step: RunStep): Promise<BuiltImage>;
  /** A new image of `parent` plus a layer of `entries`. */
  addLayer(
    parent: BuiltImage | undefined,
    entries: AsyncIterable<FileEntry>,
    config: RunConfig,
    createdBy: string,
  ): Promise<BuiltImage>;
  /** A new image of `parent` with only its config changed. */
  commitConfig(parent: BuiltImage | undefined, config: RunConfig, createdBy: string): Promise<BuiltImage>;
  /** The files of an image (scratch: undefined parent, an empty tree). */
  openImage(image: BuiltImage | undefined): Promise<FileSource>;
  /**
   * ADD's local archives: the tree a tar (plain, gzip, zstd, bzip2 or xz) at `path` of `source` holds,
   * unpacked with the layer applier's rules; undefined when the file is not such an archive.
   */
  unpackArchive(source: FileSource, path: string): Promise<FileSource | undefined>;
  /**
   * ADD of a URL: the file downloaded (http and https), as `path` in a source of its own, mode
   * 0600, its time the server's Last-Modified when it gives one.
   */
  fetchUrl(url: string): Promise<{ readonly source: FileSource; readonly path: string }>;
  /** The layer cache: step key -> image ID. */
  cached(key: string): Promise<string | undefined>;
  remember(key: string, id: string): Promise<void>;
  tag(id: string, references: readonly string[]): Promise<void>;
}

/** What the build reports as it goes (the CLI prints it). */
export interface BuildProgress {
  step(index: number, total: number, text: string): void;
  cached(): void;
  /** The image a step made or found in the cache. */
  made(id: string): void;
  done(id: string): void;
  /** Output of a RUN step (when not quiet). */
  readonly output?: NodeJS.WritableStream;
}
