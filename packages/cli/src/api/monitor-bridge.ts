import { type Socket } from 'node:net';
import { type Duplex } from 'node:stream';
import { STREAM, streamFrame } from '@koker/api-server';
import { type ContainerId } from '@koker/core';
import {
  closeAfterExit,
  FROM_MONITOR,
  monitorFrame,
  onMonitorFrames,
  type Settled,
  TO_MONITOR,
} from '../containers/monitor-frames.js';

/**
 * Settles a container its monitor reported ended, while the monitor waits; resolves to the
 * `settled` frame's directories when nothing is left for the monitor's cleanup.
 */
export type SettleAtExit = (id: ContainerId) => Promise<Settled | undefined>;

/** What the service learnt of containers' ends through their monitors, and its live attach sockets. */
export class ContainerExits {
  private readonly codes = new Map<ContainerId, number>();
  private readonly watchers = new Map<ContainerId, ((code: number) => void)[]>();
  private readonly sockets = new Map<ContainerId, Set<Socket>>();

  /**
   * `settle`: the service settles the containers whose end it hears of (its monitor waits for
   * that), so no cleanup process of the monitor's (a Node start) is on the way of a `wait`.
   */
  constructor(private readonly settle?: SettleAtExit) {}

  /**
   * The monitor reported the end on `socket`: the container is settled here (the monitor waits,
   * since `track` or `listen` asked it to), then the socket closed, with `settled` if nothing is
   * left for the monitor's cleanup. A failed settle leaves it all to that cleanup.
   */
  ended(id: ContainerId, socket: Socket, code: number): void {
    this.seen(id, code);
    void (this.settle?.(id) ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then((settled) => closeAfterExit(socket, settled));
  }

  seen(id: ContainerId, code: number): void {
    this.codes.set(id, code);
    for (const watcher of this.watchers.get(id) ?? []) watcher(code);
    this.watchers.delete(id);
  }

  code(id: ContainerId): number | undefined {
    return this.codes.get(id);
  }

  /** Resolves with the exit code once a monitor reports it. */
  next(id: ContainerId): Promise<number> {
    return new Promise((resolve) => this.watchers.set(id, [...(this.watchers.get(id) ?? []), resolve]));
  }

  /** Listens on a monitor's socket for the exit alone (a `wait` nobody attached for). */
  listen(id: ContainerId, socket: Socket): void {
    socket.on('error', () => undefined);
    socket.write(monitorFrame(TO_MONITOR.hold));
    onMonitorFrames(socket, (kind, payload) => {
      if (kind === FROM_MONITOR.exit) this.ended(id, socket, Number(payload.toString()));
    });
  }

  track(id: ContainerId, socket: Socket): void {
    const set = this.sockets.get(id) ?? new Set();
    set.add(socket);
    this.sockets.set(id, set);
    socket.once('close', () => set.delete(socket));
  }

  /** A terminal size for the container, through one of its attach sockets. */
  resize(id: ContainerId, rows: number, columns: number): boolean {
    const socket = [...(this.sockets.get(id) ?? [])][0];
    if (!socket) return false;
    socket.write(monitorFrame(TO_MONITOR.resize, `${rows} ${columns}`));
    return true;
  }
}

export interface BridgeOptions {
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/**
 * Docker's attach over a hijacked connection, carried to the container's monitor: output as
 * Docker's multiplexed frames (raw with a tty), the client's bytes as the container's stdin (its
 * half-close closes it), the exit code noted for `wait`; the connection ends with the container.
 */
export function bridgeAttach(
  id: ContainerId,
  client: Duplex,
  monitor: Socket,
  options: BridgeOptions,
  exits: ContainerExits,
): Promise<void> {
  exits.track(id, monitor);
  // After the exit, the monitor waits for this socket to close: the service settles it first.
  monitor.write(monitorFrame(TO_MONITOR.hold));
  return new Promise((resolve) => {
    let done = false;
    const finish = (exitCode?: number) => {
      if (done) return;
      done = true;
      if (exitCode === undefined) monitor.destroy();
      else exits.ended(id, monitor, exitCode);
      client.end();
      resolve();
    };
    monitor.on('error', () => finish());
    monitor.on('close', () => finish());
    client.on('error', () => finish());
    client.on('close', () => finish());
    onMonitorFrames(monitor, (kind, payload) => {
      if (kind === FROM_MONITOR.exit) {
        finish(Number(payload.toString()));
        return;
      }
      const wanted = kind === FROM_MONITOR.stderr ? options.stderr : options.stdout;
      if (!wanted) return;
      if (options.tty) client.write(payload);
      else client.write(streamFrame(kind === FROM_MONITOR.stderr ? STREAM.stderr : STREAM.stdout, payload));
    });
    if (options.stdin) {
      client.on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length; at += 32 * 1024)
          monitor.write(monitorFrame(TO_MONITOR.stdin, chunk.subarray(at, at + 32 * 1024)));
      });
      client.on('end', () => monitor.write(monitorFrame(TO_MONITOR.stdinClosed)));
      client.resume();
    } else {
      client.on('data', () => undefined);
      client.resume();
    }
  });
}
