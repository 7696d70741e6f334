import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** koker-monitor's log of a container, in the CRI format (see native/src/monitor/log-writer.c). */
export const LOG_FILE = 'container.log';

export type LogStream = 'stdout' | 'stderr';

/** One line of the container's output, put back together from its records. */
export interface LogLine {
  readonly time: string;
  readonly stream: LogStream;
  /** The text, with its newline unless the output ended without one. */
  readonly text: string;
}

const RECORD = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s;

/**
 * Joins CRI records into lines: P records are fragments continued by the next record of the same
 * stream. The time of a line is that of its first fragment.
 */
export class LogAssembler {
  private readonly pending = new Map<LogStream, { time: string; text: string }>();

  /** Takes one record (without its trailing newline); returns the line it completes, if any. */
  push(record: string): LogLine | undefined {
    const match = RECORD.exec(record);
    if (!match) return undefined;
    const [, time = '', stream, flag, text = ''] = match;
    const key = stream as LogStream;
    const before = this.pending.get(key);
    const joined = { time: before?.time ?? time, text: (before?.text ?? '') + text };
    if (flag === 'P') {
      this.pending.set(key, joined);
      return undefined;
    }
    this.pending.delete(key);
    return { time: joined.time, stream: key, text: `${joined.text}\n` };
  }

  /** Fragments never completed (the output ended without a newline), oldest first. */
  flush(): LogLine[] {
    const rest = [...this.pending.entries()]
      .map(([stream, p]) => ({ time: p.time, stream, text: p.text }))
      .sort((a, b) => a.time.localeCompare(b.time));
    this.pending.clear();
    return rest;
  }
}

export interface ReadLogOptions {
  /** Also return the fragments of a last line without newline (when not following). */
  readonly complete?: boolean;
}

/** Reads a container's whole log; returns its lines and the offset where reading stopped. */
export async function readContainerLog(
  containerDir: string,
  options: ReadLogOptions = {},
): Promise<{ lines: LogLine[]; offset: number; assembler: LogAssembler }> {
  const path = join(containerDir, LOG_FILE);
  const assembler = new LogAssembler();
  const lines: LogLine[] = [];
  let offset = 0;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines, offset, assembler };
    throw error;
  }
  try {
    const data = await handle.readFile();
    // A record the monitor is writing right now may be incomplete: stop at the last newline.
    const end = data.lastIndexOf(0x0a) + 1;
    for (const record of data.subarray(0, end).toString('utf8').split('\n')) {
      if (!record) continue;
      const line = assembler.push(record);
      if (line) lines.push(line);
    }
    offset = end;
  } finally {
    await handle.close();
  }
  if (options.complete) lines.push(...assembler.flush());
  return { lines, offset, assembler };
}

/**
 * Follows the log from `offset`, yielding lines as the monitor writes them, until `ended()` says
 * the container is over and everything written has been read, or `signal` aborts.
 */
export async function* followContainerLog(
  containerDir: string,
  start: { offset: number; assembler: LogAssembler },
  ended: () => boolean,
  signal?: AbortSignal,
): AsyncGenerator<LogLine> {
  const path = join(containerDir, LOG_FILE);
  let offset = start.offset;
  let carry = '';
  for (;;) {
    const over = ended(); // asked before reading, so the last writes are not missed
    let size = 0;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (size > offset) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        offset += bytesRead;
        const text = carry + buffer.subarray(0, bytesRead).toString('utf8');
        const end = text.lastIndexOf('\n') + 1;
        carry = text.slice(end);
        for (const record of text.slice(0, end).split('\n')) {
          if (!record) continue;
          const line = start.assembler.push(record);
          if (line) yield line;
        }
      } finally {
        await handle.close();
      }
      continue;
    }
    if (over || signal?.aborted) {
      for (const line of start.assembler.flush()) yield line;
      return;
    }
    await sleep(100, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
}
