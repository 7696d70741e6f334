import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiError,
  STREAM,
  streamFrame,
  type ApiRequest,
  type ApiResponse,
  type ApiRoute,
  queryInt,
} from '@koker/api-server';
import {
  NotFoundError,
  Resources,
  exitCodeOfStatus,
  type ContainerId,
  type LaunchedProcess,
  type Launcher,
} from '@koker/core';
import { NativeLauncher, execInContainer } from '@koker/engine';
import { nativeHelperPath } from '@koker/host';
import { lifecycleOf } from '../containers/lifecycle.js';
import { type ApiServices } from './api-services.js';
import { routeBinder } from './route-binder.js';
import { ExecPipes } from './exec-pipes.js';

interface ExecConfig {
  readonly AttachStdin?: boolean;
  readonly AttachStdout?: boolean;
  readonly AttachStderr?: boolean;
  readonly Tty?: boolean;
  readonly Cmd?: string[];
  readonly Env?: string[] | null;
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly Privileged?: boolean;
  readonly DetachKeys?: string;
  /** `[rows, columns]` (API 1.42+): the terminal's first size. */
  readonly ConsoleSize?: [number, number] | null;
}

/** An exec instance as dockerd keeps it: made by create, run by start, read by inspect. */
interface ExecInstance {
  readonly id: string;
  readonly container: ContainerId;
  readonly config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  /** With a tty: where koker-init reads the pty's size, and the process to tell (SIGWINCH). */
  terminal?: { readonly sizeFile: string; launched?: LaunchedProcess };
  /** A resize that came before start: the size the terminal starts with. */
  requestedSize?: [number, number];
}

/** The service's exec instances (dockerd keeps them in memory too). */
export class ExecInstances {
  private readonly byId = new Map<string, ExecInstance>();

  add(container: ContainerId, config: ExecConfig): ExecInstance {
    const instance: ExecInstance = {
      id: randomBytes(32).toString('hex'),
      container,
      config,
      running: false,
      exitCode: null,
      pid: 0,
      started: false,
    };
    this.byId.set(instance.id, instance);
    return instance;
  }

  get(id: string): ExecInstance {
    const found = this.byId.get(id);
    if (!found) throw new ApiError(404, `No such exec instance: ${id}`);
    return found;
  }
}

async function create(api: ApiServices, execs: ExecInstances, request: ApiRequest, response: ApiResponse) {
  const ref = request.params.id ?? '';
  const id = await api.ctx.state.resolve(ref).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such container: ${ref}`);
    throw error;
  });
  const config = await request.json<ExecConfig>();
  if (!Array.isArray(config.Cmd) || config.Cmd.length === 0)
    throw new ApiError(400, 'No exec command specified');
  if (config.Privileged) throw new ApiError(400, 'koker does not support Privileged for exec');
  const record = await api.ctx.state.get(id);
  if (!(await lifecycleOf(api.ctx).observe(record)).running)
    throw new ApiError(409, `Container ${id} is not running`);
  response.json(201, { Id: execs.add(id, config).id });
}

async function start(api: ApiServices, execs: ExecInstances, request: ApiRequest, response: ApiResponse) {
  const instance = execs.get(request.params.id ?? '');
  if (instance.started) throw new ApiError(409, `Exec ${instance.id} has already been started`);
  const body = await request.json<{
    Detach?: boolean;
    Tty?: boolean;
    ConsoleSize?: [number, number] | null;
  }>();
  const { ctx } = api;
  const config = instance.config;
  const tty = config.Tty === true || body.Tty === true;
  const record = await lifecycleOf(ctx).settle(instance.container);
  if (!record) throw new ApiError(404, `No such container: ${instance.container}`);
  const drivers = {
    state: ctx.state,
    resources: await ctx.driver(Resources),
    launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
  };
  const execRequest = {
    args: config.Cmd ?? [],
    env: config.Env ?? [],
    ...(config.WorkingDir ? { workdir: config.WorkingDir } : {}),
    ...(config.User ? { user: config.User } : {}),
    tty,
    interactive: config.AttachStdin === true && !body.Detach,
  };
  instance.started = true;
  if (body.Detach) {
    await execInContainer(record, { ...execRequest, detach: true }, drivers, ctx.log);
    response.empty(200);
    return;
  }
  mkdirSync(ctx.config.runRoot, { recursive: true, mode: 0o700 });
  const pipes = await ExecPipes.open(ctx.config.runRoot, { stdin: execRequest.interactive, stderr: !tty });
  if (tty) {
    // The pty is koker-init's, its stdio FIFOs: its size comes from this file (resize writes it).
    instance.terminal = { sizeFile: join(pipes.directory, 'winsize') };
    writeFileSync(instance.terminal.sizeFile, '', { mode: 0o600 });
    const [rows, columns] = instance.requestedSize ?? body.ConsoleSize ?? config.ConsoleSize ?? [0, 0];
    writeTerminalSize(instance, rows, columns);
    ctx.log.debug({ exec: instance.id.slice(0, 12), rows, columns }, 'Exec terminal size');
  }
  const client = response.hijack(
    tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
  );
  instance.running = true;
  const forward = (stream: typeof pipes.stdout.ours, kind: 1 | 2, wanted: boolean) =>
    new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        if (wanted)
          client.write(tty ? chunk : streamFrame(kind === 2 ? STREAM.stderr : STREAM.stdout, chunk));
      });
      stream.on('close', () => resolve());
      stream.on('error', () => resolve());
    });
  const outputs = Promise.all([
    forward(pipes.stdout.ours, 1, config.AttachStdout !== false),
    ...(pipes.stderr ? [forward(pipes.stderr.ours, 2, config.AttachStderr !== false)] : []),
  ]);
  const stdin = pipes.stdin?.ours;
  if (stdin) {
    stdin.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => stdin.write(chunk));
    client.on('end', () => stdin.end());
    client.resume();
  }
  client.on('error', () => undefined);
  // Once the process has its ends, ours must be the last open, or no EOF would come.
  const launcher = drivers.launcher;
  const handing: Launcher = {
    name: launcher.name,
    start: (plan, options) => launcher.start(plan, options),
    exec: async (plan, options) => {
      try {
        const launched = await launcher.exec(plan, options);
        instance.pid = launched.pid;
        if (instance.terminal) instance.terminal.launched = launched;
        return launched;
      } finally {
        pipes.closeChildEnds();
      }
    },
  };
  try {
    const status = await execInContainer(
      record,
      {
        ...execRequest,
        stdio: pipes.childStdio(),
        ...(instance.terminal ? { terminalSizeFile: instance.terminal.sizeFile } : {}),
      },
      { ...drivers, launcher: handing },
      ctx.log,
    );
    instance.exitCode = exitCodeOfStatus(status);
  } catch (error) {
    instance.exitCode = 126;
    const message = error instanceof Error ? error.message : String(error);
    client.write(tty ? `${message}\r\n` : streamFrame(STREAM.stderr, Buffer.from(`${message}\n`)));
  } finally {
    instance.running = false;
    await Promise.race([outputs, new Promise((resolve) => setTimeout(resolve, 2000))]);
    stdin?.destroy();
    pipes.remove();
    client.end();
  }
}

/** Keeps the size for koker-init to read (a size of 0 is no size: the pty keeps its own). */
function writeTerminalSize(instance: ExecInstance, rows: number, columns: number): boolean {
  if (!instance.terminal || !(rows > 0 && columns > 0 && rows < 65536 && columns < 65536)) return false;
  // In place (same inode): koker-init holds the file open.
  writeFileSync(instance.terminal.sizeFile, `${rows} ${columns}\n`);
  return true;
}

/** `POST /exec/{id}/resize?h=&w=`: the exec's pty gets the size (koker-init reads it on SIGWINCH). */
function resize(api: ApiServices, execs: ExecInstances, request: ApiRequest, response: ApiResponse): void {
  const instance = execs.get(request.params.id ?? '');
  const rows = queryInt(request.query, 'h') ?? 0;
  const columns = queryInt(request.query, 'w') ?? 0;
  api.ctx.log.debug(
    { exec: instance.id.slice(0, 12), rows, columns, running: instance.running },
    'Resize exec terminal',
  );
  if (!instance.terminal) {
    if (instance.config.Tty && rows > 0 && columns > 0) instance.requestedSize = [rows, columns];
    response.empty(200);
    return;
  }
  // Once the process has ended its directory is gone: nothing left to resize.
  if (instance.running && writeTerminalSize(instance, rows, columns))
    instance.terminal.launched?.kill('SIGWINCH');
  response.empty(200);
}

function inspect(execs: ExecInstances, request: ApiRequest, response: ApiResponse): void {
  const instance = execs.get(request.params.id ?? '');
  const [entrypoint = '', ...args] = instance.config.Cmd ?? [];
  response.json(200, {
    ID: instance.id,
    Running: instance.running,
    ExitCode: instance.exitCode,
    ProcessConfig: {
      tty: instance.config.Tty === true,
      entrypoint,
      arguments: args,
      privileged: false,
      user: instance.config.User ?? '',
    },
    OpenStdin: instance.config.AttachStdin === true,
    OpenStderr: instance.config.AttachStderr === true,
    OpenStdout: instance.config.AttachStdout === true,
    CanRemove: false,
    ContainerID: instance.container,
    DetachKeys: '',
    Pid: instance.pid,
  });
}

/** `exec` create, start (hijacked), inspect, resize. */
export function execRoutes(api: ApiServices): ApiRoute[] {
  const execs = new ExecInstances();
  const route = routeBinder(api);
  return [
    route('POST', '/containers/{id}/exec', (a, q, r) => create(a, execs, q, r)),
    route('POST', '/exec/{id}/start', (a, q, r) => start(a, execs, q, r)),
    route('GET', '/exec/{id}/json', (_a, q, r) => inspect(execs, q, r)),
    route('POST', '/exec/{id}/resize', (a, q, r) => resize(a, execs, q, r)),
  ];
}
