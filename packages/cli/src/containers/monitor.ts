import { existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNativeBuild } from '@koker/host';
import { HostError, type ContainerId } from '@koker/core';
import { monitorLogArgs, type LogConfig } from '@koker/engine';
import { type CliContext } from '../context.js';

/**
 * Where koker-monitor is: `$KOKER_MONITOR`, else next to the configured native helper, else
 * `native/build/koker-monitor` of the checkout this code runs from.
 */
export function monitorPath(ctx: CliContext, from: string = import.meta.url): string {
  const configured = process.env.KOKER_MONITOR;
  if (configured) return configured;
  if (ctx.config.nativeHelper) return join(dirname(ctx.config.nativeHelper), 'koker-monitor');
  const found = findNativeBuild('koker-monitor', from);
  if (found) return found;
  throw new HostError('cannot find koker-monitor, which waits on detached containers', {
    hint: 'build it (npm run build, or make in native/), or set KOKER_MONITOR',
  });
}

/** bin/koker.js of this package: two levels up from src/containers, dist/containers and dist/bundle. */
function kokerBin(from: string = import.meta.url): string {
  const bin = join(dirname(fileURLToPath(from)), '..', '..', 'bin', 'koker.js');
  return existsSync(bin) ? bin : (process.argv[1] ?? 'koker');
}

/** The koker command line the monitor runs once the container ended: `container cleanup ID`. */
export function cleanupArgv(ctx: CliContext, id: ContainerId): string[] {
  return monitorKokerArgv(ctx, ['container', 'cleanup', id]);
}

/** The koker command line the monitor runs beside a container with a health check. */
export function healthcheckArgv(ctx: CliContext, id: ContainerId): string[] {
  return monitorKokerArgv(ctx, ['container', 'healthcheck', id]);
}

/** koker with this invocation's root, log settings and forced drivers, then `args`. */
export function monitorKokerArgv(ctx: CliContext, args: readonly string[]): string[] {
  const g = ctx.globals;
  return [
    process.execPath,
    kokerBin(),
    '--root',
    ctx.config.root,
    ...(g.debug ? ['--debug'] : []),
    ...(g.logFormat === 'json' ? ['--log-format', 'json'] : []),
    ...(g.cgroupDriver ? ['--cgroup-driver', g.cgroupDriver] : []),
    ...(g.storageDriver ? ['--storage-driver', g.storageDriver] : []),
    ...(g.networkDriver ? ['--network-driver', g.networkDriver] : []),
    ...args,
  ];
}

export interface MonitorOptions {
  /** `-t`: the container's stdio is a pseudo-terminal. */
  readonly tty: boolean;
  /**
   * The container's terminal is koker-init's, in its own devpts: the monitor's pty only carries
   * it (raw), and its size reaches the container's (SIGWINCH to koker-init).
   */
  readonly terminalInside?: boolean;
  /** The terminal's first size: the attaching user's, so the command sees it from its start. */
  readonly size?: { readonly rows: number; readonly columns: number };
  /** `-i`: the container's stdin stays open (attach clients write to it). */
  readonly stdin: boolean;
  /** `--log-driver`, `--log-opt`. */
  readonly log: LogConfig;
  /** Someone attaches right away (`run` without -d, `start -a`): the output waits for them. */
  readonly attachNow?: boolean;
  /** The attached client's end of stdin closes the container's (`run -i`, `start -ai`). */
  readonly stdinOnce?: boolean;
  /** `--rm`: its exit record is not fsynced (the container is removed once it ended). */
  readonly autoRemove?: boolean;
  /** It has a health check: the monitor runs `container healthcheck` beside it. */
  readonly healthcheck?: boolean;
}

/** koker's terminal size, when its stdout is one. */
export function terminalSize(): { rows: number; columns: number } | undefined {
  const out = process.stdout;
  return out.isTTY && out.rows > 0 && out.columns > 0 ? { rows: out.rows, columns: out.columns } : undefined;
}

/** How long the monitor keeps the output for an attach that `run` or `start -a` promised. */
const ATTACH_WAIT_MS = 10_000;

/**
 * The argv prefix that puts a container's launcher under its monitor (LaunchOptions.wrapper):
 * the launcher's own argv follows.
 */
export function monitorWrapper(ctx: CliContext, id: ContainerId, options: MonitorOptions): string[] {
  return [
    monitorPath(ctx),
    '--dir',
    ctx.state.directory(id),
    ...(options.tty ? ['--tty'] : []),
    ...(options.tty && options.terminalInside ? ['--tty-raw'] : []),
    ...(options.tty && options.size ? ['--tty-size', `${options.size.rows},${options.size.columns}`] : []),
    ...(options.stdin ? ['--stdin'] : []),
    ...(options.stdinOnce ? ['--stdin-once'] : []),
    ...monitorLogArgs(options.log),
    '--attach',
    ...(options.attachNow ? ['--attach-wait', String(ATTACH_WAIT_MS)] : []),
    ...(options.autoRemove ? ['--no-sync'] : []),
    ...cleanupArgv(ctx, id).flatMap((arg) => ['--on-exit', arg]),
    ...(options.healthcheck ? healthcheckArgv(ctx, id).flatMap((arg) => ['--companion', arg]) : []),
    '--',
  ];
}

/**
 * The monitor's own stdio: nothing in, nothing out, its diagnostics (and the cleanup's logs) to
 * `monitor.log` in the container's directory. The container's stdio is the monitor's business.
 */
export function monitorStdio(ctx: CliContext, id: ContainerId): ['null', 'null', number] {
  const fd = openSync(join(ctx.state.directory(id), 'monitor.log'), 'a', 0o600);
  return ['null', 'null', fd];
}
