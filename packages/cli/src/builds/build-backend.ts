import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  BuildStepError,
  type BuildBackend,
  type BuiltImage,
  type FileEntry,
  type FileSource,
  type RunConfig,
  type RunStep,
} from '@koker/builder';
import {
  ImageReference,
  InvalidValueError,
  NotFoundError,
  RegistryError,
  Storage,
  UsageError,
} from '@koker/core';
import { copyFromTar, directorySource, imageSource, ON_HOST, writeLayerBlob } from '@koker/fs-overlay';
import { writeFileAtomic } from '@koker/host';
import { deriveImageConfig, storeNewImage } from '@koker/image-store';
import { commitContainer } from '../containers/commit-container.js';
import { monitorKokerArgv } from '../containers/monitor.js';
import { type CliContext } from '../context.js';
import { resolveRunImage } from '../run/run-image.js';

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
    const args = [
      // The step's own output is what the build shows; koker's logs only with --debug.
      ...(this.ctx.globals.debug ? [] : ['-q']),
      'run',
      '--name',
      name,
      '--entrypoint',
      '',
      ...(step.network !== undefined ? ['--network', step.network] : []),
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
      });
      return (await this.built(committed.id)) as BuiltImage;
    } finally {
      await this.koker(['rm', '-f', name], false);
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
    const gzip = data[0] === 0x1f && data[1] === 0x8b;
    const zstd = data.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    const tar = data.length >= 262 && data.toString('latin1', 257, 262) === 'ustar';
    if (!gzip && !zstd && !tar) return undefined;
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
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidValueError('ADD source', url, 'the URL does not parse');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new InvalidValueError('ADD source', url, 'koker downloads http:// and https:// URLs only');
    let response: Response;
    try {
      response = await fetch(parsed, { redirect: 'follow' });
    } catch (error) {
      throw new RegistryError(`cannot download ${parsed.href}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!response.ok || !response.body)
      throw new RegistryError(`cannot download ${parsed.href}: HTTP ${response.status}`, {
        hint: 'check the URL',
      });
    const dir = join(this.work, `url-${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    // Docker names the file after the URL's last path component.
    const name = basename(parsed.pathname) || 'download';
    const path = join(dir, name);
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      createWriteStream(path, { flags: 'wx', mode: 0o600 }),
    );
    const modified = Date.parse(response.headers.get('last-modified') ?? '');
    if (!Number.isNaN(modified)) await utimes(path, modified / 1000, modified / 1000);
    this.ctx.log.debug(
      { url: parsed.href, path, modified: response.headers.get('last-modified') },
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
