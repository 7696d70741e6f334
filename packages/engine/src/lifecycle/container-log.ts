import { readdir } from 'node:fs/promises';

/**
 * koker-monitor's log of a container (native/src/monitor/log-writer.c), one record per line, in
 * one of two formats, each in its own file (rotated as NAME.1, NAME.2...: higher is older):
 * `json-file` is Docker's (`{"log":"text\n","stream":"stdout","time":"…"}`), `local` the CRI
 * format (`<time> <stream> <F|P> <text>`). A record may be a fragment of a line, continued by
 * the next record of its stream.
 */
export type LogFormat = 'json-file' | 'local';

export const LOG_FILES: Readonly<Record<LogFormat, string>> = {
  'json-file': 'container-json.log',
  local: 'container.log',
};

export type LogStream = 'stdout' | 'stderr';

/** One record of the log. */
export interface LogRecord {
  readonly time: string;
  readonly stream: LogStream;
  /** Without a newline. */
  readonly text: string;
  /** The record ends a line (CRI's F; json-file's "log" ending in \n). */
  readonly complete: boolean;
}

/** One line of the container's output, put back together from its records. */
export interface LogLine {
  readonly time: string;
  readonly stream: LogStream;
  /** The text, with its newline unless the output ended without one. */
  readonly text: string;
}

const CRI_RECORD = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s;

/** One record (a line of the file without its newline), or undefined if it is not one. */
export function parseLogRecord(format: LogFormat, line: string): LogRecord | undefined {
  if (format === 'local') {
    const match = CRI_RECORD.exec(line);
    if (!match) return undefined;
    const [, time = '', stream, flag, text = ''] = match;
    return { time, stream: stream as LogStream, text, complete: flag === 'F' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { log, stream, time } = raw as Record<string, unknown>;
  if (typeof log !== 'string' || typeof time !== 'string' || (stream !== 'stdout' && stream !== 'stderr'))
    return undefined;
  const complete = log.endsWith('\n');
  return { time, stream, text: complete ? log.slice(0, -1) : log, complete };
}

/**
 * Joins records into lines: a fragment is continued by the next record of the same stream. The
 * time of a line is that of its first fragment.
 */
export class LogAssembler {
  private readonly pending = new Map<LogStream, { time: string; text: string }>();

  /** Takes one record; returns the line it completes, if any. */
  push(record: LogRecord | undefined): LogLine | undefined {
    if (!record) return undefined;
    const before = this.pending.get(record.stream);
    const joined = { time: before?.time ?? record.time, text: (before?.text ?? '') + record.text };
    if (!record.complete) {
      this.pending.set(record.stream, joined);
      return undefined;
    }
    this.pending.delete(record.stream);
    return { time: joined.time, stream: record.stream, text: `${joined.text}\n` };
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

/** The container's log files, oldest first (NAME.N ... NAME.1, NAME), and their format. */
export interface LogFiles {
  readonly format: LogFormat;
  /** The current file's name (the one the monitor writes). */
  readonly current: string;
  readonly names: readonly string[];
}

export async function listLogFiles(containerDir: string): Promise<LogFiles | undefined> {
  let entries: string[];
  try {
    entries = await readdir(containerDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  for (const format of ['json-file', 'local'] as const) {
    const current = LOG_FILES[format];
    const rotated = entries
      .map((name) => ({
        name,
        n: name.startsWith(`${current}.`) ? Number(name.slice(current.length + 1)) : NaN,
      }))
      .filter((entry) => Number.isSafeInteger(entry.n) && entry.n > 0)
      .sort((a, b) => b.n - a.n)
      .map((entry) => entry.name);
    if (rotated.length > 0 || entries.includes(current))
      return { format, current, names: [...rotated, current] };
  }
  return undefined;
}
