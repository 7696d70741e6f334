import { closeSync } from 'node:fs';
import { type Socket } from 'node:net';
import { Network, Resources, Storage, type ContainerId, type ContainerRecord } from '@koker/core';
import {
  NativeLauncher,
  readLogConfig,
  startContainer,
  type ContainerLifecycle,
  type StartOptions,
} from '@koker/engine';
import { nativeHelperPath } from '@koker/host';
import { type CliContext } from '../context.js';
import { connectAttachWhenReady } from './attach-client.js';
import { monitorStdio, monitorWrapper, terminalSize } from './monitor.js';

/** `start -a [-i]`: someone attaches as soon as the monitor listens. */
export interface AttachRequest {
  /** `-i`: the client's stdin goes to the container's (when it keeps one open). */
  readonly interactive: boolean;
  /** The terminal's first size, with -t (the API's ConsoleSize); else koker's own terminal's. */
  readonly size?: { readonly rows: number; readonly columns: number } | undefined;
}

/** The attach a started container was promised: the socket once the monitor listens. */
export interface PromisedAttach {
  readonly id: ContainerId;
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly socket: Promise<Socket>;
}

export interface StartedContainer {
  readonly record: ContainerRecord;
  readonly attach?: PromisedAttach;
}

/**
 * Starts a stopped container under a new monitor (`start`, `start -a`, restarts by its policy,
 * `system boot`), with the log driver it was created with and its health check beside it.
 */
export async function startDetached(
  ctx: CliContext,
  id: ContainerId,
  lifecycle: ContainerLifecycle,
  options: StartOptions = {},
  attach?: AttachRequest,
): Promise<StartedContainer> {
  const drivers = {
    storage: await ctx.driver(Storage),
    resources: await ctx.driver(Resources),
    network: await ctx.driver(Network),
    launcher: new NativeLauncher(nativeHelperPath(ctx.config.nativeHelper), ctx.log),
    state: ctx.state,
    volumes: ctx.volumeDrivers(),
  };
  const opened: number[] = [];
  let promised: PromisedAttach | undefined;
  try {
    const record = await startContainer(
      id,
      drivers,
      lifecycle,
      (record) => {
        const dir = ctx.state.directory(record.id);
        const stdio = monitorStdio(ctx, record.id);
        opened.push(stdio[2]);
        const inside = record.spec?.process.terminal === true;
        const tty = record.tty === true || inside;
        const stdin = record.interactive === true || record.spec?.process.stdin === true;
        const size = attach ? (attach.size ?? terminalSize()) : undefined;
        if (attach) {
          const socket = connectAttachWhenReady(dir);
          socket.catch(() => undefined); // a failed start reports its own error
          promised = { id: record.id, tty, stdin: stdin && attach.interactive, socket };
        }
        return {
          wrapper: monitorWrapper(ctx, record.id, {
            tty,
            terminalInside: inside,
            ...(size ? { size } : {}),
            stdin,
            stdinOnce: promised?.stdin === true,
            log: readLogConfig(dir),
            attachNow: attach !== undefined,
            healthcheck: record.spec?.healthcheck !== undefined,
          }),
          stdio,
        };
      },
      ctx.log,
      undefined,
      options,
    );
    return promised ? { record, attach: promised } : { record };
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
