import { closeSync } from 'node:fs';
import { Network, Resources, Storage, type ContainerId, type ContainerRecord } from '@koker/core';
import { NativeLauncher, startContainer, type ContainerLifecycle, type StartOptions } from '@koker/engine';
import { nativeHelperPath } from '@koker/host';
import { type CliContext } from '../context.js';
import { monitorStdio, monitorWrapper } from './monitor.js';

/** Starts a stopped container under a new monitor (`start`, and restarts by its policy). */
export async function startDetached(
  ctx: CliContext,
  id: ContainerId,
  lifecycle: ContainerLifecycle,
  options: StartOptions = {},
): Promise<ContainerRecord> {
  const drivers = {
    storage: await ctx.driver(Storage),
    resources: await ctx.driver(Resources),
    network: await ctx.driver(Network),
    launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
    state: ctx.state,
    volumes: ctx.volumeDrivers(),
  };
  const opened: number[] = [];
  try {
    return await startContainer(
      id,
      drivers,
      lifecycle,
      (record) => {
        const stdio = monitorStdio(ctx, record.id);
        opened.push(stdio[2]);
        return {
          wrapper: monitorWrapper(ctx, record.id, {
            tty: record.tty === true || record.spec?.process.terminal === true,
            stdin: record.interactive === true || record.spec?.process.stdin === true,
            healthcheck: record.spec?.healthcheck !== undefined,
          }),
          stdio,
        };
      },
      ctx.log,
      undefined,
      options,
    );
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
