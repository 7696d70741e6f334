import { closeSync } from 'node:fs';
import { type Socket } from 'node:net';
import { type ContainerId } from '@koker/core';
import {
  healthcheckConfig,
  writeLogConfig,
  type LogConfig,
  type RunImage,
  type RunOrchestrator,
  type RunRequest,
} from '@koker/engine';
import { connectAttachWhenReady } from '../containers/attach-client.js';
import { monitorStdio, monitorWrapper } from '../containers/monitor.js';
import { type CliContext } from '../context.js';

export interface MonitorStartOptions {
  readonly log: LogConfig;
  /** Someone attaches at once (`run` without -d, the API's attach before start). */
  readonly attachNow: boolean;
  /** The terminal's first size, with -t. */
  readonly size?: { readonly rows: number; readonly columns: number } | undefined;
  readonly stdin: boolean;
  readonly onCreated?: ((id: ContainerId) => void) | undefined;
  /** An ID given beforehand (the API's create). */
  readonly id?: ContainerId;
}

/**
 * The container's launcher starts under koker-monitor, which holds its stdio, writes its log,
 * serves its attach socket, waits on it, runs its health check beside it (`--companion`) and
 * runs `koker container cleanup` when it ends. With -t the container's terminal is koker-init's
 * (in the container's devpts), carried by the monitor's pseudo-terminal.
 */
export async function startUnderMonitor(
  context: CliContext,
  orchestrator: RunOrchestrator,
  request: RunRequest,
  image: RunImage,
  options: MonitorStartOptions,
): Promise<{ id: ContainerId; attached?: Promise<Socket> }> {
  const { log, attachNow, stdin, onCreated, size } = options;
  const tty = request.process.tty;
  const healthcheck = healthcheckConfig(image.record.config.Healthcheck, request.health ?? {}) !== undefined;
  const opened: number[] = [];
  let attached: Promise<Socket> | undefined;
  try {
    const outcome = await orchestrator.run(request, image, {
      ...(options.id ? { id: options.id } : {}),
      ...(onCreated ? { onCreated } : {}),
      detach: (id) => {
        writeLogConfig(context.state.directory(id), log);
        if (attachNow) {
          attached = connectAttachWhenReady(context.state.directory(id));
          attached.catch(() => undefined); // a failed start reports its own error
        }
        const stdio = monitorStdio(context, id);
        opened.push(stdio[2]);
        return {
          wrapper: monitorWrapper(context, id, {
            tty,
            terminalInside: tty,
            ...(size ? { size } : {}),
            stdin,
            stdinOnce: attachNow && stdin,
            log,
            attachNow,
            autoRemove: request.autoRemove,
            healthcheck,
          }),
          stdio,
        };
      },
    });
    return { id: outcome.id, ...(attached ? { attached } : {}) };
  } catch (error) {
    void attached?.then(
      (socket) => socket.destroy(),
      () => undefined,
    );
    throw error;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
