/** The streams of Docker's multiplexed format (attach, logs, exec without a tty). */
export const STREAM = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type StreamKind = (typeof STREAM)[keyof typeof STREAM];

/** One frame: [stream, 0, 0, 0, size as u32 big-endian] then the payload. */
export function streamFrame(stream: StreamKind, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Reads frames back (for tests and clients): the payloads per stream, in order. */
export function readStreamFrames(data: Uint8Array): { stream: number; payload: Buffer }[] {
  const frames: { stream: number; payload: Buffer }[] = [];
  const buffer = Buffer.from(data);
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    if (at + 8 + size > buffer.length) break;
    frames.push({ stream: buffer[at] ?? 0, payload: buffer.subarray(at + 8, at + 8 + size) });
    at += 8 + size;
  }
  return frames;
}
