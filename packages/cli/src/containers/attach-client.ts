import { closeSync, existsSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { constants } from 'node:os';
import { ConflictError } from '@koker/core';
import { DetachKeyMatcher } from './detach-keys.js';
import {
  closeAfterExit,
  FROM_MONITOR,
  monitorFrame,
  onMonitorFrames,
  type Settled,
  TO_MONITOR,
} from './monitor-frames.js';

/** The monitor's attach socket in the container's directory (native/src/monitor/attach.c). */
export const ATTACH_SOCKET = 'attach.sock';

export interface AttachOptions {
  /** Send koker's stdin to the container. */
  readonly stdin: boolean;
  /** The container has a terminal: koker's goes raw, and its size follows. */
  readonly tty: boolean;
  /** Typed on stdin, they leave the container running (ctrl-p ctrl-q by default). */
  readonly detachKeys: Uint8Array;
  /**
   * Signals koker gets go to the container (without a raw terminal, where ctrl-c is a key);
   * false: koker ignores them.
   */
  readonly sigProxy: boolean;
  /** `run -a STREAM`: the output streams koker prints (both when absent). */
  readonly output?: AttachedStreams;
}

/** Which of the container's output streams an attached koker prints. */
export interface AttachedStreams {
  readonly stdout: boolean;
  readonly stderr: boolean;
}

export type AttachEnd =
  /**
   * The monitor waits (briefly) for the socket to close before its cleanup: `close` it. With
   * `settled`, koker settled the container itself: the monitor runs no cleanup but removes these
   * directories (moved aside by the storage driver) once it let go.
   */
  | {
      readonly kind: 'exited';
      readonly code: number;
      readonly close: (settled?: Settled) => void;
    }
  | { readonly kind: 'detached' }
  /** The monitor went away without saying how the container ended. */
  | { readonly kind: 'lost' };

/** The monitor takes frames up to 64 KiB. */
const STDIN_FRAME = 32 * 1024;

/** The signals an attached koker hands to the container (or ignores with --sig-proxy=false). */
export const PROXIED: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
];

/**
 * Connects as soon as the monitor made its socket (koker is still waiting for the container to
 * start): the monitor keeps the output for this client, and a start that fails ends at once.
 */
export async function connectAttachWhenReady(containerDir: string, timeoutMs = 10_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The socket's file exists from bind(2), a moment before it listens: tried again then.
    if (existsSync(join(containerDir, ATTACH_SOCKET)))
      try {
        return await connectAttach(containerDir);
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    if (Date.now() > deadline)
      throw new ConflictError('cannot attach: the container never opened its attach socket');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Connects to a container's monitor. The path goes through /proc/self/fd: a container directory
 * may be longer than a socket address allows. Every failure is a rejection (async), never a throw:
 * callers that chain `.then`/`.catch` on it (a stopped container has no socket) rely on that.
 */
export async function connectAttach(containerDir: string): Promise<Socket> {
  if (!existsSync(join(containerDir, ATTACH_SOCKET)))
    throw new ConflictError(
      'cannot attach: the container has no attach socket (its monitor predates attach)',
    );
  const dirFd = openSync(containerDir, 'r');
  return await new Promise<Socket>((resolve, reject) => {
    const socket = connect(`/proc/self/fd/${dirFd}/${ATTACH_SOCKET}`);
    const failed = (error: Error) => {
      closeSync(dirFd);
      reject(new ConflictError(`cannot attach to the container: ${error.message}`));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      // Until a reader takes it, an error must not end koker: `run` connects while its setup may
      // still fail, and the monitor killed then resets a connection it had not accepted. Readers
      // see the socket's close.
      socket.on('error', () => undefined);
      closeSync(dirFd);
      resolve(socket);
    });
  });
}

/**
 * Docker's attach on a connected socket: the container's output to koker's stdout and stderr,
 * koker's stdin to it (watching for the detach keys), the terminal's size, signals. Resolves
 * when the container ended, the user detached, or the monitor went away.
 */
export function runAttached(socket: Socket, options: AttachOptions): Promise<AttachEnd> {
  // process.stdin is made only when used: koker's stdin is the container's business otherwise.
  const raw = options.tty && options.stdin && process.stdin.isTTY === true;
  const cleanups: (() => void)[] = [];
  return new Promise<AttachEnd>((resolve) => {
    let ended: AttachEnd | undefined;
    let writing = Promise.resolve();
    const finish = (end: AttachEnd) => {
      if (ended) return;
      ended = end;
      for (const cleanup of cleanups.splice(0)) cleanup();
      // What the container wrote last is on its way to the terminal: wait for it, then report.
      void writing.then(() => resolve(end));
    };
    const write = (out: NodeJS.WriteStream, data: Buffer) => {
      writing = writing.then(
        () =>
          new Promise<void>((done) => {
            if (out.write(data)) done();
            else out.once('drain', done);
          }),
      );
    };
    onMonitorFrames(socket, (kind, payload) => {
      if (kind === FROM_MONITOR.stdout) {
        if (options.output?.stdout !== false) write(process.stdout, payload);
      } else if (kind === FROM_MONITOR.stderr) {
        if (options.output?.stderr !== false) write(process.stderr, payload);
      } else if (kind === FROM_MONITOR.exit) {
        keepOpen = true;
        const close = (settled?: Settled) => closeAfterExit(socket, settled);
        finish({ kind: 'exited', code: Number(payload.toString()), close });
      }
    });
    socket.on('close', () => finish({ kind: 'lost' }));
    // From now on the monitor waits, after the exit, for us to close (see attachUntilEnd).
    socket.write(monitorFrame(TO_MONITOR.hold));
    let keepOpen = false;
    cleanups.push(() => {
      if (!keepOpen) socket.destroy();
    });

    if (options.stdin) {
      const stdin = process.stdin;
      const matcher = new DetachKeyMatcher(options.detachKeys);
      if (raw) {
        stdin.setRawMode(true);
        cleanups.push(() => stdin.setRawMode(false));
      }
      const onData = (chunk: Buffer) => {
        const { pass, detach } = matcher.feed(chunk);
        for (let at = 0; at < pass.length; at += STDIN_FRAME)
          socket.write(monitorFrame(TO_MONITOR.stdin, pass.subarray(at, at + STDIN_FRAME)));
        if (detach) finish({ kind: 'detached' });
      };
      const onEnd = () => socket.write(monitorFrame(TO_MONITOR.stdinClosed));
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.resume();
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
        // A read pending on a terminal would keep koker alive.
        if (!stdin.isTTY) stdin.destroy();
      });
    }
    if (options.tty && process.stdout.isTTY) {
      const resize = () =>
        socket.write(monitorFrame(TO_MONITOR.resize, `${process.stdout.rows} ${process.stdout.columns}`));
      resize();
      process.stdout.on('resize', resize);
      cleanups.push(() => process.stdout.off('resize', resize));
    }
    // --sig-proxy=false: koker's signals are not the container's, nor end koker (stop it with
    // koker stop), as an attached run without the monitor had it.
    if (!raw) {
      for (const name of PROXIED) {
        const proxy = options.sigProxy
          ? () => socket.write(monitorFrame(TO_MONITOR.signal, String(constants.signals[name])))
          : () => undefined;
        process.on(name, proxy);
        cleanups.push(() => process.off(name, proxy));
      }
    }
  });
}
