import { type Socket } from 'node:net';
import { type Duplex } from 'node:stream';
import { STREAM, streamFrame } from '@koker/api-server';
import { type ContainerId } from '@koker/core';

// koker-monitor's attach frames (native/src/monitor/attach.c): [kind, 0, 0, 0, u32 length].
const FROM_MONITOR = { stdout: 1, stderr: 2, exit: 3 } as const;
const TO_MONITOR = { stdin: 0, stdinClosed: 1, resize: 2 } as const;

function monitorFrame(kind: number, payload: Uint8Array | string = ''): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Reads the monitor's frames off its socket, whatever the chunking. */
function onMonitorFrames(socket: Socket, each: (kind: number, payload: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8) {
      const length = pending.readUInt32BE(4);
      if (pending.length < 8 + length) break;
      each(pending[0] ?? 0, Buffer.from(pending.subarray(8, 8 + length)));
      pending = pending.subarray(8 + length);
    }
  });
}

/** What the service learnt of containers' ends through their monitors, and its live attach sockets. */
export class ContainerExits {
  private readonly codes = new Map<ContainerId, number>();
  private readonly watchers = new Map<ContainerId, ((code: number) => void)[]>();
  private readonly sockets = new Map<ContainerId, Set<Socket>>();

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
    onMonitorFrames(socket, (kind, payload) => {
      if (kind === FROM_MONITOR.exit) {
        this.seen(id, Number(payload.toString()));
        socket.destroy();
      }
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
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      monitor.destroy();
      client.end();
      resolve();
    };
    monitor.on('error', finish);
    monitor.on('close', finish);
    client.on('error', finish);
    client.on('close', finish);
    onMonitorFrames(monitor, (kind, payload) => {
      if (kind === FROM_MONITOR.exit) {
        exits.seen(id, Number(payload.toString()));
        finish();
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
