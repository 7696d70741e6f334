import { type Socket } from 'node:net';

// koker-monitor's attach protocol (native/src/monitor/monitor.h): frames both ways are an 8-byte
// header [kind, 0, 0, 0, length (u32 big-endian)] and the payload.
export const FROM_MONITOR = { stdout: 1, stderr: 2, exit: 3 } as const;
export const TO_MONITOR = { stdin: 0, stdinClosed: 1, resize: 2, signal: 3, hold: 4, settled: 5 } as const;

/** A container settled by the client itself: the directories moved aside for the monitor to remove. */
export interface Settled {
  readonly aside: readonly string[];
}

export function monitorFrame(kind: number, payload: Uint8Array | string = ''): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Reads the monitor's frames off its socket, whatever the chunking. */
export function onMonitorFrames(socket: Socket, each: (kind: number, payload: Buffer) => void): void {
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

/**
 * Closes a socket on which the monitor reported the exit (it waits for that close, after `hold`).
 * With `settled`, says so first: the monitor then removes `settled.aside` and runs no cleanup.
 */
export function closeAfterExit(socket: Socket, settled?: Settled): void {
  if (settled) socket.end(monitorFrame(TO_MONITOR.settled, settled.aside.join('\0')));
  else socket.destroy();
}
