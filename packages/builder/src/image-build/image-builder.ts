import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { type Logger } from '@koker/core';
import {
  applyConfigInstruction,
  CONFIG_KEYWORDS,
  commandForm,
  envMap,
  type RunConfig,
  type StageState,
} from '../config/apply-config-instruction.js';
import { DockerfileError } from '../dockerfile/dockerfile-error.js';
import { type Dockerfile, type Instruction, parseDockerfile } from '../dockerfile/parse-dockerfile.js';
import { expandString, expandVariables, expandWords, jsonForm, keyValuePairs } from '../dockerfile/words.js';
import {
  type BuildBackend,
  type BuildProgress,
  type BuiltImage,
  type FileEntry,
  type FileSource,
  type RunMount,
} from './backend.js';
import { bytes, copyEntries, expandSources, type CopyPlan } from './copy-entries.js';
import { type DockerIgnore } from './dockerignore.js';
import { heredocSource } from './heredoc-source.js';
import { resolveOwner } from './owner.js';
import { entriesDigest } from './entries-digest.js';
import { resolveRunMounts } from './resolve-run-mounts.js';

export interface BuildOptions {
  readonly dockerfile: string;
  readonly context: FileSource;
  readonly ignore?: DockerIgnore;
  readonly buildArgs: ReadonlyMap<string, string>;
  readonly target?: string;
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly network?: string;
  /** `--label`: set on the final image. */
  readonly labels: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  /** `--secret`s: id -> content, for `RUN --mount=type=secret` (never in an image or a cache key). */
  readonly secrets?: ReadonlyMap<string, Buffer>;
}

/** Docker's predefined build args: usable without an ARG, never left in the image. */
const PREDEFINED_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

/** RUN flags koker takes; `--security` is refused by name rather than ignored. */
const RUN_FLAGS = ['network', 'mount'];

interface Stage {
  readonly name?: string;
  readonly index: number;
  readonly from: Instruction;
  readonly instructions: Instruction[];
}

interface StageRun {
  image: BuiltImage | undefined;
  config: RunConfig;
  state: StageState;
  /** ARGs declared in the stage, with their values. */
  args: Map<string, string>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function configOf(image: BuiltImage | undefined): RunConfig {
  if (!image) return {};
  const json = JSON.parse(image.configBytes.toString('utf8')) as { config?: RunConfig | null };
  return structuredClone(json.config ?? {});
}

/**
 * `COPY <<EOF /dest`: the heredoc sources as name -> content (variables expanded unless the
 * delimiter is quoted); undefined when the instruction has none. Mixing them with context files
 * is refused.
 */
function heredocFiles(
  instruction: Instruction,
  sources: readonly string[],
  vars: Map<string, string>,
): Map<string, string> | undefined {
  if (instruction.heredocs.length === 0) return undefined;
  const files = new Map<string, string>();
  for (const source of sources) {
    const name = /^<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?$/.exec(source)?.[1];
    const heredoc = instruction.heredocs.find((h) => h.name === name);
    if (!heredoc)
      throw new DockerfileError(
        `${instruction.keyword} mixes heredocs and other sources (${source}): koker takes one or the other`,
        instruction.line,
      );
    files.set(heredoc.name, heredoc.quoted ? heredoc.content : expandVariables(heredoc.content, vars));
  }
  return files;
}

/** `ADD --checksum=sha256:<hex>`: the digest a downloaded file must have (BuildKit takes sha256 only). */
function parseChecksum(value: string, instruction: Instruction): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(value);
  if (!match)
    throw new DockerfileError(
      `invalid --checksum=${value}: expected sha256: and 64 lowercase hex digits`,
      instruction.line,
    );
  return value;
}

/** The stages of a Dockerfile, and the ARGs before the first FROM. */
function splitStages(file: Dockerfile): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of file.instructions) {
    if (instruction.keyword === 'FROM') {
      const as = /\s+AS\s+(\S+)\s*$/i.exec(instruction.args);
      stages.push({
        ...(as ? { name: (as[1] as string).toLowerCase() } : {}),
        index: stages.length,
        from: instruction,
        instructions: [],
      });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (instruction.keyword !== 'ARG')
        throw new DockerfileError(
          'no build stage in current context: the first instruction must be FROM (or ARG)',
          instruction.line,
        );
      globalArgs.push(instruction);
      continue;
    }
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw new DockerfileError('the Dockerfile has no FROM');
  return { globalArgs, stages };
}

/**
 * The image builder behind `koker build`: runs a Dockerfile's stages in order (up to `target`),
 * each instruction making an image (a layer for RUN, COPY, ADD and a WORKDIR that creates its
 * directory; the config alone for the others), each step cached by its parent image, its
 * instruction (variables expanded, build args used) and, for COPY and ADD, the digest of what
 * is copied. Returns the final image's ID.
 */
export class ImageBuilder {
  private readonly stageImages = new Map<string, BuiltImage | undefined>();
  private step = 0;
  private total = 0;

  constructor(
    private readonly backend: BuildBackend,
    private readonly progress: BuildProgress,
    private readonly log: Logger,
  ) {}

  async build(options: BuildOptions): Promise<string> {
    const file = parseDockerfile(options.dockerfile);
    const { globalArgs, stages } = splitStages(file);
    let last = stages.length - 1;
    if (options.target !== undefined) {
      last = stages.findIndex((s) => s.name === options.target?.toLowerCase());
      if (last < 0) throw new DockerfileError(`target stage "${options.target}" could not be found`);
    }
    const run = stages.slice(0, last + 1);
    this.total = run.reduce((n, s) => n + 1 + s.instructions.length, 0);
    const globals = new Map<string, string>();
    for (const arg of globalArgs) {
      for (const [key, value] of keyValuePairs('ARG', arg.args, globals, file.escape, { allowBare: true })) {
        const given = options.buildArgs.get(key);
        if (given !== undefined) globals.set(key, given);
        else if (value !== undefined) globals.set(key, value);
      }
    }
    let result: BuiltImage | undefined;
    for (const stage of run) {
      const isLast = stage === run[run.length - 1];
      result = await this.buildStage(stage, file, globals, options, isLast);
      this.stageImages.set(String(stage.index), result);
      if (stage.name) this.stageImages.set(stage.name, result);
    }
    if (!result) throw new DockerfileError('the build made no image (FROM scratch with nothing else)');
    if (options.tags.length > 0) await this.backend.tag(result.id, options.tags);
    this.progress.done(result.id);
    return result.id;
  }

  private announce(text: string): void {
    this.step++;
    this.progress.step(this.step, this.total, text);
    this.log.debug({ step: this.step, instruction: text }, 'Build step');
  }

  private async buildStage(
    stage: Stage,
    file: Dockerfile,
    globals: Map<string, string>,
    options: BuildOptions,
    isLast: boolean,
  ): Promise<BuiltImage | undefined> {
    for (const flag of Object.keys(stage.from.flags)) {
      if (flag !== 'platform') throw new DockerfileError(`unknown flag: --${flag}`, stage.from.line);
    }
    const words = expandWords(stage.from.args, globals, file.escape);
    const baseName = words[0];
    if (!baseName) throw new DockerfileError('FROM requires the name of an image', stage.from.line);
    this.announce(`FROM ${words.join(' ')}`);
    let image: BuiltImage | undefined;
    const known = baseName.toLowerCase();
    if (known === 'scratch') image = undefined;
    else if (this.stageImages.has(known)) image = this.stageImages.get(known);
    else image = await this.backend.image(baseName, { pull: options.pull });
    if (image) this.progress.made(image.id);
    const run: StageRun = { image, config: configOf(image), state: { cmdSet: false }, args: new Map() };
    // The base image's ONBUILD triggers run first, and are not inherited further.
    const triggers = run.config.OnBuild ?? [];
    if (triggers.length > 0) {
      run.config.OnBuild = null;
      for (const trigger of triggers) {
        this.log.debug({ trigger }, 'Run ONBUILD trigger');
        for (const instruction of parseDockerfile(trigger).instructions)
          await this.execute(run, { ...instruction, line: stage.from.line }, file, globals, options);
      }
    }
    for (const instruction of stage.instructions) {
      this.announce(instruction.text);
      await this.execute(run, instruction, file, globals, options);
    }
    if (isLast && Object.keys(options.labels).length > 0) {
      const config = structuredClone(run.config);
      config.Labels = { ...(config.Labels ?? {}), ...options.labels };
      const text = Object.entries(options.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      run.image = await this.cachedStep(
        run,
        `--label ${JSON.stringify(options.labels)}`,
        () => this.backend.commitConfig(run.image, config, `/bin/sh -c #(nop)  LABEL ${text}`),
        options,
        false,
      );
      run.config = config;
    }
    return run.image;
  }

  /** Variables an instruction sees: the stage's ARGs, then its ENV (ENV wins). */
  private variables(run: StageRun): Map<string, string> {
    return new Map([...run.args, ...envMap(run.config)]);
  }

  /** The image a step makes: from the cache when the same step ran on the same image before. */
  private async cachedStep(
    run: StageRun,
    keyText: string,
    make: () => Promise<BuiltImage>,
    options: BuildOptions,
    announceCached = true,
  ): Promise<BuiltImage> {
    const key = sha256(
      JSON.stringify([run.image?.id ?? 'scratch', sha256(JSON.stringify(run.config)), keyText]),
    );
    if (!options.noCache) {
      const id = await this.backend.cached(key);
      const hit = id === undefined ? undefined : await this.backend.stored(id);
      if (hit) {
        if (announceCached) this.progress.cached();
        this.log.debug({ key, id: hit.id }, 'Use cached step');
        if (announceCached) this.progress.made(hit.id);
        return hit;
      }
    }
    const made = await make();
    await this.backend.remember(key, made.id);
    this.log.debug({ key, id: made.id }, 'Cache step');
    if (announceCached) this.progress.made(made.id);
    return made;
  }

  private async execute(
    run: StageRun,
    instruction: Instruction,
    file: Dockerfile,
    globals: Map<string, string>,
    options: BuildOptions,
  ): Promise<void> {
    const { keyword } = instruction;
    const vars = this.variables(run);
    if (keyword === 'ARG') {
      for (const [key, value] of keyValuePairs('ARG', instruction.args, vars, file.escape, {
        allowBare: true,
      })) {
        const chosen = options.buildArgs.get(key) ?? value ?? globals.get(key);
        if (chosen !== undefined) run.args.set(key, chosen);
        else run.args.delete(key);
      }
      return;
    }
    if (CONFIG_KEYWORDS.has(keyword)) {
      const before = JSON.stringify(run.config);
      const config = structuredClone(run.config);
      applyConfigInstruction(config, instruction, vars, run.state, file.escape);
      if (keyword === 'WORKDIR' && config.WorkingDir && (await this.workdirLayer(run, config, options)))
        return;
      const text = `${keyword} ${instruction.args}`;
      const shown =
        keyword === 'CMD' || keyword === 'ENTRYPOINT'
          ? `${keyword} ${JSON.stringify(config[keyword === 'CMD' ? 'Cmd' : 'Entrypoint'])}`
          : text;
      run.image = await this.cachedStep(
        run,
        `${before}\n${text}\n${JSON.stringify(config)}`,
        () => this.backend.commitConfig(run.image, config, `/bin/sh -c #(nop)  ${shown}`),
        options,
      );
      run.config = config;
      return;
    }
    if (keyword === 'RUN') return this.runStep(run, instruction, file, options);
    if (keyword === 'COPY' || keyword === 'ADD') return this.copyStep(run, instruction, file, vars, options);
    throw new DockerfileError(`unknown instruction: ${keyword}`, instruction.line);
  }

  /** WORKDIR makes its directory when the image lacks it (a layer), as Docker does. */
  private async workdirLayer(run: StageRun, config: RunConfig, options: BuildOptions): Promise<boolean> {
    const dir = config.WorkingDir as string;
    const files = await this.backend.openImage(run.image);
    try {
      if (files.stat(bytes(dir), true)?.isDirectory()) return false;
      const now = Math.floor(Date.now() / 1000);
      const entries: FileEntry[] = [];
      const parts = dir.split('/').filter(Boolean);
      for (let n = 1; n <= parts.length; n++) {
        const name = bytes(parts.slice(0, n).join('/'));
        const existing = files.stat(name, true);
        entries.push({
          name,
          type: 'dir',
          mode: existing ? existing.mode & 0o7777 : 0o755,
          uid: existing?.uid ?? 0,
          gid: existing?.gid ?? 0,
          mtime: existing ? Math.floor(existing.mtimeMs / 1000) : now,
          size: 0,
        });
      }
      run.image = await this.cachedStep(
        run,
        `${JSON.stringify(run.config)}\nWORKDIR ${dir}`,
        () =>
          this.backend.addLayer(
            run.image,
            (async function* () {
              yield* entries;
            })(),
            config,
            `/bin/sh -c #(nop) WORKDIR ${dir}`,
          ),
        options,
      );
      run.config = config;
      return true;
    } finally {
      files.close();
    }
  }

  /** A stage's or an image's files, or the context (`from` absent or `context`). */
  private async filesOf(
    from: string | undefined,
    options: BuildOptions,
  ): Promise<{ files: FileSource; id: string }> {
    if (from === undefined || from === 'context') return { files: options.context, id: 'context' };
    const image = this.stageImages.has(from.toLowerCase())
      ? this.stageImages.get(from.toLowerCase())
      : await this.backend.image(from, { pull: options.pull });
    return { files: await this.backend.openImage(image), id: image?.id ?? 'scratch' };
  }

  private async runStep(
    run: StageRun,
    instruction: Instruction,
    file: Dockerfile,
    options: BuildOptions,
  ): Promise<void> {
    const resolved = await resolveRunMounts(instruction, {
      vars: this.variables(run),
      escape: file.escape,
      workdir: run.config.WorkingDir ?? '/',
      context: options.context,
      secrets: options.secrets ?? new Map(),
      filesOf: (from) => this.filesOf(from, options),
    });
    try {
      await this.runCommand(run, instruction, options, resolved.mounts, resolved.keys);
    } finally {
      resolved.close();
    }
  }

  private async runCommand(
    run: StageRun,
    instruction: Instruction,
    options: BuildOptions,
    mounts: readonly RunMount[],
    mountKeys: readonly string[],
  ): Promise<void> {
    for (const flag of Object.keys(instruction.flags)) {
      if (!RUN_FLAGS.includes(flag))
        throw new DockerfileError(`RUN --${flag} is not supported by koker yet`, instruction.line);
    }
    const heredoc = instruction.heredocs[0];
    let argv: string[];
    if (heredoc && /^<<-?["']?\w+["']?\s*$/.test(instruction.args.trim())) {
      // `RUN <<EOF`: the body is the shell script.
      argv = [...(run.config.Shell ?? ['/bin/sh', '-c']), heredoc.content];
    } else argv = commandForm(run.config, instruction.args);
    const env = envMap(run.config);
    const buildEnv = [...run.args].filter(([key]) => !env.has(key)).map(([key, value]) => `${key}=${value}`);
    for (const key of PREDEFINED_ARGS) {
      const value = options.buildArgs.get(key);
      if (value !== undefined && !run.args.has(key) && !env.has(key)) buildEnv.push(`${key}=${value}`);
    }
    const network = instruction.flags.network ?? options.network;
    const shown = jsonForm(instruction.args) ? `RUN ${instruction.args}` : argv.join(' ');
    const kept = buildEnv.filter((e) => !PREDEFINED_ARGS.includes(e.split('=')[0] as string));
    const config = run.config;
    run.image = await this.cachedStep(
      run,
      JSON.stringify(['RUN', argv, kept, ...(mountKeys.length > 0 ? [mountKeys] : [])]),
      () =>
        this.backend.run(run.image, {
          argv,
          buildEnv,
          mounts,
          config,
          // Docker's classic history form: the build args the step saw, then the command.
          createdBy: kept.length > 0 ? `|${kept.length} ${kept.join(' ')} ${shown}` : shown,
          ...(network !== undefined ? { network } : {}),
        }),
      options,
    );
  }

  private async copyStep(
    run: StageRun,
    instruction: Instruction,
    file: Dockerfile,
    vars: Map<string, string>,
    options: BuildOptions,
  ): Promise<void> {
    const { keyword, flags } = instruction;
    for (const flag of Object.keys(flags)) {
      if (!['from', 'chown', 'chmod', 'link', ...(keyword === 'ADD' ? ['checksum'] : [])].includes(flag))
        throw new DockerfileError(`unknown flag: --${flag}`, instruction.line);
    }
    if (keyword === 'ADD' && flags.from !== undefined)
      throw new DockerfileError('ADD does not take --from (use COPY)', instruction.line);
    const words = jsonForm(instruction.args) ?? expandWords(instruction.args, vars, file.escape);
    if (words.length < 2)
      throw new DockerfileError(`${keyword} requires at least two arguments`, instruction.line);
    const sources = words.slice(0, -1);
    const rawDest = words[words.length - 1] as string;
    const urls = keyword === 'ADD' ? sources.filter((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s)) : [];
    const local = sources.filter((s) => !urls.includes(s));
    const checksum = flags.checksum === undefined ? undefined : parseChecksum(flags.checksum, instruction);
    if (checksum && (local.length > 0 || urls.length === 0))
      throw new DockerfileError("checksum can't be specified for non-HTTP(S) sources", instruction.line);
    const dest = posix.resolve(run.config.WorkingDir || '/', rawDest);
    const destIsDir = rawDest.endsWith('/') || rawDest.endsWith('/.') || rawDest === '.';
    const from = flags.from === undefined ? undefined : expandString(flags.from, vars, file.escape);
    let source: FileSource;
    let owned = false;
    const heredocs = heredocFiles(instruction, sources, vars);
    if (heredocs) source = heredocSource(heredocs, Math.floor(Date.now() / 1000));
    else if (from === undefined) source = options.context;
    else {
      const stage = this.stageImages.has(from.toLowerCase())
        ? this.stageImages.get(from.toLowerCase())
        : await this.backend.image(from, { pull: options.pull });
      source = await this.backend.openImage(stage);
      owned = true;
    }
    const image = await this.backend.openImage(run.image);
    const unpackedSources: FileSource[] = [];
    try {
      const chown = flags.chown === undefined ? undefined : expandString(flags.chown, vars, file.escape);
      const owner = chown === undefined ? undefined : resolveOwner(chown, image);
      let mode: number | undefined;
      if (flags.chmod !== undefined) {
        if (!/^[0-7]{3,4}$/.test(flags.chmod))
          throw new DockerfileError(`invalid --chmod=${flags.chmod}: octal modes only`, instruction.line);
        mode = parseInt(flags.chmod, 8);
      }
      const plan: CopyPlan = {
        source,
        // Heredoc files are named after their delimiters.
        sources: heredocs ? [...heredocs.keys()] : sources,
        dest,
        destIsDir: destIsDir || sources.length > 1,
        image,
        keepOwners: owned,
        now: Math.floor(Date.now() / 1000),
        ...(owner ? { owner } : {}),
        ...(mode !== undefined ? { mode } : {}),
        ...(from === undefined && !heredocs && options.ignore ? { ignore: options.ignore } : {}),
      };
      const plans: CopyPlan[] = [];
      // ADD of a URL: the file as downloaded, never unpacked (as Docker does).
      for (const url of urls) {
        this.log.debug({ url }, 'Download ADD source');
        const fetched = await this.backend.fetchUrl(url);
        unpackedSources.push(fetched.source);
        if (checksum) {
          const got = `sha256:${createHash('sha256')
            .update(fetched.source.readFile(bytes(fetched.path)))
            .digest('hex')}`;
          if (got !== checksum)
            throw new DockerfileError(
              `digest mismatch for ${url}: expected ${checksum}, downloaded ${got}`,
              instruction.line,
            );
        }
        const { ignore: _ignore, ...rest } = plan;
        plans.push({
          ...rest,
          source: fetched.source,
          sources: [fetched.path],
          destIsDir: destIsDir || sources.length > 1,
        });
      }
      if (keyword === 'ADD' && !heredocs && local.length > 0) {
        // A local tar archive is unpacked into the destination (owners as the archive has them).
        const paths = expandSources(source, local, plan.ignore);
        const plain: string[] = [];
        for (const path of paths) {
          const unpacked = source.stat(bytes(path), true)?.isFile()
            ? await this.backend.unpackArchive(source, bytes(path))
            : undefined;
          if (!unpacked) {
            plain.push(path);
            continue;
          }
          unpackedSources.push(unpacked);
          const { ignore: _ignore, ...rest } = plan;
          plans.push({ ...rest, source: unpacked, sources: [''], destIsDir: true, keepOwners: true });
        }
        if (plain.length > 0)
          plans.unshift({ ...plan, sources: plain, destIsDir: destIsDir || sources.length > 1 });
      } else if (local.length > 0) plans.push({ ...plan, sources: heredocs ? [...heredocs.keys()] : local });
      const entries = async function* (now: number): AsyncGenerator<FileEntry> {
        for (const each of plans) yield* copyEntries({ ...each, now });
      };
      // The cache key holds what is copied: names, owners, modes, contents (not times).
      const digest = await entriesDigest(entries(plan.now));
      const text = `${keyword} ${Object.entries(flags)
        .map(([k, v]) => `--${k}=${v} `)
        .join('')}${sources.join(' ')} ${rawDest}`;
      const createdBy = `/bin/sh -c #(nop) ${keyword} file:${digest} in ${dest} `;
      run.image = await this.cachedStep(
        run,
        `${text}\n${digest}`,
        () => this.backend.addLayer(run.image, entries(Math.floor(Date.now() / 1000)), run.config, createdBy),
        options,
      );
    } finally {
      image.close();
      for (const unpacked of unpackedSources) unpacked.close();
      if (source !== options.context) source.close();
    }
  }
}
