import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, lstatSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Readable } from 'node:stream';
import {
  BuildStepError,
  type BuildBackend,
  type BuiltImage,
  type FileEntry,
  type FileSource,
  type MountFiles,
  type RunConfig,
  type RunMount,
  type RunStep,
} from '@koker/builder';
import { type HeldLock, HostError, ImageReference, NotFoundError, Storage, UsageError } from '@koker/core';
import {
  copyFromTar,
  directorySource,
  imageSource,
  ON_HOST,
  tarChunks,
  upperDirectory,
  writeLayerBlob,
  writeTar,
} from '@koker/fs-overlay';
import { acquireFileLock, writeFileAtomic } from '@koker/host';
import { openHttpDownload } from '../downloads/http-download.js';
import { deriveImageConfig, storeNewImage } from '@koker/image-store';
import { commitContainer } from '../containers/commit-container.js';
import { monitorKokerArgv } from '../containers/monitor.js';
import { type CliContext } from '../context.js';
import { resolveRunImage } from '../run/run-image.js';

/**
 * Whether ADD unpacks a file: a tar once decompressed (plain, gzip, zstd, bzip2 or xz), as
 * Docker tells; anything else, a compressed file that holds no tar included, is copied as it is.
 */
async function isTarArchive(data: Buffer): Promise<boolean> {
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of await tarChunks(Readable.from([data]))) {
      head = Buffer.concat([head, chunk]);
      if (head.length >= 262) break;
    }
  } catch (error) {
    // A bzip2 or xz archive on a host without the program: said, not copied as a file.
    if (error instanceof HostError) throw error;
    return false;
  }
  return head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

/** The names in `dir` of an upper directory, when every component is a directory (no link followed). */
function directoryNames(upper: string, dir: string): string[] | undefined {
  let at = upper;
  for (const part of dir.split('/').filter(Boolean)) {
    at = join(at, part);
    try {
      if (!lstatSync(at).isDirectory()) return undefined;
    } catch {
      return undefined;
    }
  }
  return readdirSync(at);
}

/**
 * The builder's backend over koker itself: images from the store (pulled when missing), RUN
 * steps as containers run by a child `koker run` (the same path as the command: drivers,
 * network, monitor) and committed with `commitContainer`, layers written with fs-overlay's
 * layer writer and stored by the image store, the step cache as one file per key under
 * `<root>/builder/cache/`.
 */
export class KokerBuildBackend implements BuildBackend {
  private constructor(
    private readonly ctx: CliContext,
    /** An empty directory: the lower layer of an image without layers (scratch). */
    private readonly empty: string,
    private readonly work: string,
    private readonly output: NodeJS.WritableStream | undefined,
  ) {}

  static async create(
    ctx: CliContext,
    output: NodeJS.WritableStream | undefined,
  ): Promise<KokerBuildBackend> {
    await ctx.images.prepare();
    const work = await ctx.images.workDir();
    const empty = join(work, 'empty');
    await mkdir(empty);
    return new KokerBuildBackend(ctx, empty, work, output);
  }

  /** A directory of the build's own, removed by dispose(). */
  get workDir(): string {
    return this.work;
  }

  async dispose(): Promise<void> {
    await rm(this.work, { recursive: true, force: true });
  }

  private get cacheDir(): string {
    return join(this.ctx.config.root, 'builder', 'cache');
  }

  /** `RUN --mount=type=cache` directories, kept between builds. */
  private get cacheMountsDir(): string {
    return join(this.ctx.config.root, 'builder', 'cache-mounts');
  }

  private async built(id: string): Promise<BuiltImage | undefined> {
    const record = await this.ctx.images.find(id);
    if (!record) return undefined;
    return { id: record.id, configBytes: Buffer.from(await this.ctx.images.configBlob(record)) };
  }

  async image(reference: string, options: { pull: boolean }): Promise<BuiltImage> {
    const found = await resolveRunImage(this.ctx, reference, { pull: options.pull ? 'always' : 'missing' });
    return (await this.built(found.record.id)) as BuiltImage;
  }

  stored(id: string): Promise<BuiltImage | undefined> {
    return this.built(id);
  }

  async run(parent: BuiltImage | undefined, step: RunStep): Promise<BuiltImage> {
    if (!parent)
      throw new UsageError('RUN needs an image with a shell: FROM scratch has none', {
        hint: 'COPY the files in instead',
      });
    const name = `koker-build-${randomBytes(6).toString('hex')}`;
    const locks: HeldLock[] = [];
    const made: string[] = [];
    try {
      const mountArgs = await this.mountArgs(step.mounts, locks, made);
      return await this.runIn(name, parent, step, mountArgs);
    } finally {
      for (const lock of locks) lock.release();
      for (const dir of made) await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * `koker run --mount`s for the step's RUN mounts: caches are directories under
   * `<root>/builder/cache-mounts/`, one per id (and seed), locked as their sharing says; binds
   * are copies of their files in the build's work directory (a read-only bind, or a writable one
   * whose writes are dropped with it); tmpfs as it is.
   */
  private async mountArgs(mounts: readonly RunMount[], locks: HeldLock[], made: string[]): Promise<string[]> {
    const args: string[] = [];
    for (const mount of mounts) {
      if (mount.type === 'tmpfs') {
        args.push(
          '--mount',
          `type=tmpfs,target=${mount.target}${mount.size ? `,tmpfs-size=${mount.size}` : ''}`,
        );
        continue;
      }
      if (mount.type === 'secret') {
        // A file of the build's own, bound read-only, removed after the step.
        const dir = join(this.work, `secret-${randomBytes(6).toString('hex')}`);
        await mkdir(dir, { mode: 0o700 });
        made.push(dir);
        const file = join(dir, 'secret');
        await writeFile(file, mount.content, { mode: mount.mode });
        await chown(file, mount.uid, mount.gid);
        await chmod(file, mount.mode);
        args.push('--mount', `type=bind,source=${file},target=${mount.target},readonly`);
        continue;
      }
      if (mount.type === 'bind') {
        const dir = join(this.work, `mount-${randomBytes(6).toString('hex')}`);
        await mkdir(dir);
        made.push(dir);
        const source = await this.materialize(mount, dir);
        args.push(
          '--mount',
          `type=bind,source=${source},target=${mount.target}${mount.readwrite ? '' : ',readonly'}`,
        );
        continue;
      }
      const key = createHash('sha256')
        .update(JSON.stringify([mount.id, mount.seedId ?? '']))
        .digest('hex');
      await mkdir(this.cacheMountsDir, { recursive: true, mode: 0o700 });
      let dir = join(this.cacheMountsDir, key);
      try {
        locks.push(
          await acquireFileLock(`${dir}.lock`, {
            mode: mount.sharing === 'shared' ? 'shared' : 'exclusive',
            timeoutMs: mount.sharing === 'private' ? 0 : 10 * 60_000,
            what: `the build cache ${mount.id}`,
            log: this.ctx.log,
          }),
        );
      } catch (error) {
        // private: another build uses this cache, so this step gets a new, empty one.
        if (mount.sharing !== 'private') throw error;
        dir = join(this.work, `cache-${randomBytes(6).toString('hex')}`);
        made.push(dir);
      }
      if (!existsSync(dir)) {
        const fresh = `${dir}.new-${randomBytes(4).toString('hex')}`;
        await mkdir(fresh, { mode: mount.mode });
        try {
          if (mount.seed) await this.materialize(mount.seed, fresh);
          else {
            await chmod(fresh, mount.mode);
            await chown(fresh, mount.uid, mount.gid);
          }
          await rename(fresh, dir);
        } catch (error) {
          await rm(fresh, { recursive: true, force: true });
          throw error;
        }
      }
      this.ctx.log.debug(
        { id: mount.id, dir, target: mount.target, sharing: mount.sharing },
        'Build cache mount',
      );
      args.push(
        '--mount',
        `type=bind,source=${dir},target=${mount.target}${mount.readonly ? ',readonly' : ''}`,
      );
    }
    return args;
  }

  /** A copy of `path` of `files` in `dir` (a directory's contents, or the file); returns what to bind. */
  private async materialize(mount: MountFiles, dir: string): Promise<string> {
    const isDir = mount.files.stat(mount.path, true)?.isDirectory() ?? false;
    const top = isDir ? '' : 'file';
    const tar = new PassThrough();
    const writing = writeTar(mount.files.entries(mount.path, top, true) as AsyncIterable<never>, tar);
    await Promise.all([
      writing.then(
        () => undefined,
        (error: unknown) => tar.destroy(error as Error),
      ),
      copyFromTar(
        tar,
        { base: ON_HOST, path: dir, notFound: () => new NotFoundError(`${dir} is gone`) },
        { followLink: false, owner: { keep: true }, devices: true, xattrs: 'archive', log: this.ctx.log },
        dir,
      ),
    ]);
    await writing;
    return isDir ? dir : join(dir, top);
  }

  private async runIn(
    name: string,
    parent: BuiltImage,
    step: RunStep,
    mountArgs: readonly string[],
  ): Promise<BuiltImage> {
    const args = [
      // The step's own output is what the build shows; koker's logs only with --debug.
      ...(this.ctx.globals.debug ? [] : ['-q']),
      'run',
      '--name',
      name,
      '--entrypoint',
      '',
      ...(step.network !== undefined ? ['--network', step.network] : []),
      ...mountArgs,
      ...step.buildEnv.flatMap((e) => ['-e', e]),
      parent.id,
      ...step.argv,
    ];
    this.ctx.log.debug({ container: name, argv: step.argv, network: step.network }, 'Run build step');
    // Interrupted, the step's container still goes (the child run ends with its container).
    let interrupted: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => (interrupted = signal);
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    let code: number;
    try {
      code = await this.koker(args, true);
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
    try {
      if (interrupted) throw new BuildStepError(`the build was interrupted (${interrupted})`);
      if (code !== 0) {
        throw new BuildStepError(`The command '${step.argv.join(' ')}' returned a non-zero code: ${code}`);
      }
      const id = await this.ctx.state.resolve(name);
      const record = await this.ctx.state.get(id);
      const committed = await commitContainer(this.ctx, record, {
        pause: false,
        config: step.config,
        createdBy: step.createdBy,
        mountTargets: await this.mountStubs(parent, upperDirectory(this.ctx.config.root, record.id), step),
      });
      return (await this.built(committed.id)) as BuiltImage;
    } finally {
      await this.koker(['rm', '-f', name], false);
    }
  }

  /**
   * What the step's mounts left in its upper directory and the image lacks, as BuildKit drops
   * them: each mount target, and the directories made for them that hold nothing else.
   */
  private async mountStubs(parent: BuiltImage, upper: string | undefined, step: RunStep): Promise<string[]> {
    if (!upper || step.mounts.length === 0) return [];
    const image = await this.openImage(parent);
    try {
      const lacks = (path: string) =>
        image.stat(Buffer.from(path.slice(1), 'utf8').toString('latin1')) === undefined;
      const stubs = new Set(step.mounts.map((m) => m.target).filter(lacks));
      for (const target of [...stubs]) {
        for (let dir = posix.dirname(target); dir !== '/' && lacks(dir); dir = posix.dirname(dir)) {
          const names = directoryNames(upper, dir);
          if (!names || !names.every((name) => stubs.has(posix.join(dir, name)))) break;
          stubs.add(dir);
        }
      }
      return [...stubs];
    } finally {
      image.close();
    }
  }

  /** Runs koker itself (same root, drivers and log settings) and returns its exit code. */
  private koker(args: readonly string[], showOutput: boolean): Promise<number> {
    const [command = process.execPath, ...argv] = monitorKokerArgv(this.ctx, args);
    const out = showOutput ? this.output : undefined;
    return new Promise((resolve, reject) => {
      const child = spawn(command, argv, {
        stdio: ['ignore', out ? 'pipe' : 'ignore', out ? 'pipe' : 'ignore'],
      });
      child.stdout?.on('data', (chunk: Buffer) => out?.write(chunk));
      child.stderr?.on('data', (chunk: Buffer) => out?.write(chunk));
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  }

  private async store(
    parent: BuiltImage | undefined,
    config: RunConfig,
    createdBy: string,
    entries?: AsyncIterable<FileEntry>,
  ): Promise<BuiltImage> {
    const store = this.ctx.images;
    const parentRecord = parent ? await store.find(parent.id) : undefined;
    if (parent && !parentRecord)
      throw new NotFoundError(`image ${parent.id} left the store during the build`);
    const work = await store.workDir();
    try {
      const blob = join(work, 'layer.tar.gz');
      const written = entries ? await writeLayerBlob(entries, blob) : undefined;
      const configBytes = deriveImageConfig(parent?.configBytes, {
        config,
        ...(written ? { diffId: written.diffId } : {}),
        history: { created_by: createdBy },
        created: new Date().toISOString(),
      });
      const committed = await storeNewImage(
        { store, storage: await this.ctx.driver(Storage), log: this.ctx.log },
        {
          ...(parentRecord ? { parent: parentRecord } : {}),
          ...(written
            ? { layer: { path: blob, diffId: written.diffId, digest: written.digest, size: written.size } }
            : {}),
          configBytes,
        },
      );
      return { id: committed.id, configBytes };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  addLayer(
    parent: BuiltImage | undefined,
    entries: AsyncIterable<FileEntry>,
    config: RunConfig,
    createdBy: string,
  ): Promise<BuiltImage> {
    return this.store(parent, config, createdBy, entries);
  }

  commitConfig(parent: BuiltImage | undefined, config: RunConfig, createdBy: string): Promise<BuiltImage> {
    return this.store(parent, config, createdBy);
  }

  async openImage(image: BuiltImage | undefined): Promise<FileSource> {
    if (!image) return directorySource(this.empty);
    const record = await this.ctx.images.find(image.id);
    if (!record) throw new NotFoundError(`image ${image.id} left the store during the build`);
    return imageSource(await this.ctx.images.layerDirs(record), this.empty, this.ctx.log);
  }

  async unpackArchive(source: FileSource, path: string): Promise<FileSource | undefined> {
    const data = source.readFile(path);
    if (!(await isTarArchive(data))) return undefined;
    const into = join(this.work, `archive-${randomBytes(6).toString('hex')}`);
    await mkdir(into);
    this.ctx.log.debug({ archive: path, into }, 'Unpack ADD archive');
    // The applier's tar rules: names confined, '..' refused, links never written through.
    await copyFromTar(
      Readable.from([data]),
      { base: ON_HOST, path: into, notFound: () => new NotFoundError(`${into} is gone`) },
      { followLink: false, owner: { keep: true }, devices: true, xattrs: 'archive', log: this.ctx.log },
      path,
    );
    return directorySource(into);
  }

  async fetchUrl(url: string): Promise<{ source: FileSource; path: string }> {
    const { url: parsed, body, headers } = await openHttpDownload(url, 'ADD source');
    const dir = join(this.work, `url-${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    // Docker names the file after the URL's last path component.
    const name = basename(parsed.pathname) || 'download';
    const path = join(dir, name);
    await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    const modified = Date.parse(headers.get('last-modified') ?? '');
    if (!Number.isNaN(modified)) await utimes(path, modified / 1000, modified / 1000);
    this.ctx.log.debug(
      { url: parsed.href, path, modified: headers.get('last-modified') },
      'Downloaded ADD source',
    );
    return { source: directorySource(dir), path: name };
  }

  async cached(key: string): Promise<string | undefined> {
    try {
      return (await readFile(join(this.cacheDir, key), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async remember(key: string, id: string): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.cacheDir, key), `${id}\n`, 0o600);
  }

  async tag(id: string, references: readonly string[]): Promise<void> {
    const record = await this.ctx.images.find(id);
    if (!record) throw new NotFoundError(`image ${id} left the store during the build`);
    for (const reference of references) await this.ctx.images.tag(record.id, ImageReference.parse(reference));
  }
}
