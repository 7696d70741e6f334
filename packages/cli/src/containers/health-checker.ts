import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  NotFoundError,
  Resources,
  exitCodeOfStatus,
  shortContainerId,
  type ContainerId,
  type HealthcheckConfig,
  type ResourceDriver,
} from '@koker/core';
import {
  HEALTH_OUTPUT_BYTES,
  HEALTH_STARTING,
  NativeLauncher,
  applyHealthResult,
  execInContainer,
  healthcheckArgv,
  writeHealthFile,
  type HealthResult,
  type HealthState,
} from '@koker/engine';
import { nativeHelperPath } from '@koker/host';
import { type CliContext } from '../context.js';
import { emitContainerEvent } from './container-events.js';

/**
 * `koker container healthcheck ID`: the loop koker-monitor runs beside a container that has a
 * health check, and ends (SIGTERM) when the container does. Each check is an exec in the
 * container (its namespaces, cgroups, user and environment), killed at its timeout; the state
 * goes to health.json, which inspect and ps read, and each change of status to the events.
 */
export async function runHealthChecks(ctx: CliContext, id: ContainerId): Promise<void> {
  const record = await ctx.state.get(id);
  const config = record.spec?.healthcheck;
  if (!config) throw new NotFoundError(`container ${record.name} has no health check`);
  const dir = ctx.state.directory(id);
  const log = ctx.log.child({ container: shortContainerId(id) });
  const started = Date.now();
  let state: HealthState = HEALTH_STARTING;
  await writeHealthFile(dir, state);
  const launcher = new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log);
  const resources = await ctx.driver(Resources);
  for (;;) {
    const inStartPeriod = Date.now() - started < config.startPeriodMs;
    await sleep(inStartPeriod && state.Status === 'starting' ? config.startIntervalMs : config.intervalMs);
    const current = await ctx.state.get(id);
    if (current.status !== 'running' || !ctx.state.isKept(id)) return;
    const result = await checkOnce(current, config, dir, { launcher, resources, ctx });
    const before = state.Status;
    state = applyHealthResult(state, result, config, Date.now() - started < config.startPeriodMs);
    // Docker's event for each change of status: `health_status: healthy`.
    if (state.Status !== before) await emitContainerEvent(ctx, current, `health_status: ${state.Status}`);
    log.debug(
      { exitCode: result.ExitCode, status: state.Status, streak: state.FailingStreak },
      'Health check',
    );
    await writeHealthFile(dir, state);
  }
}

async function checkOnce(
  record: Awaited<ReturnType<CliContext['state']['get']>>,
  config: HealthcheckConfig,
  dir: string,
  deps: {
    launcher: NativeLauncher;
    resources: ResourceDriver;
    ctx: CliContext;
  },
): Promise<HealthResult> {
  const Start = new Date().toISOString();
  const outputPath = join(dir, 'health-output');
  const output = openSync(outputPath, 'w', 0o600);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), config.timeoutMs);
  let ExitCode: number;
  let timedOut = false;
  timeout.signal.addEventListener('abort', () => (timedOut = true));
  try {
    const status = await execInContainer(
      record,
      {
        args: healthcheckArgv(config.test),
        env: [],
        tty: false,
        interactive: false,
        stdio: ['null', output, output],
        abort: timeout.signal,
      },
      { state: deps.ctx.state, resources: deps.resources, launcher: deps.launcher },
      deps.ctx.log,
    );
    ExitCode = exitCodeOfStatus(status);
  } catch (error) {
    // Docker records a check it could not run as exit code -1 with the reason.
    clearTimeout(timer);
    closeSync(output);
    return { Start, End: new Date().toISOString(), ExitCode: -1, Output: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
  closeSync(output);
  let text = readFileSync(outputPath, 'utf8').slice(0, HEALTH_OUTPUT_BYTES);
  rmSync(outputPath, { force: true });
  if (timedOut) {
    ExitCode = -1;
    text = `Health check exceeded timeout (${config.timeoutMs / 1000}s)`;
  }
  return { Start, End: new Date().toISOString(), ExitCode, Output: text };
}
