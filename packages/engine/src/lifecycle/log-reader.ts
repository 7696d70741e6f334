import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LogAssembler,
  listLogFiles,
  parseLogRecord,
  type LogFiles,
  type LogFormat,
  type LogLine,
} from './container-log.js';
import { parseRecordTime, type LogTime } from './log-time.js';

const CHUNK = 64 * 1024;

export interface LogReadOptions {
  /** The last N lines only (from the end, whatever the log's size). */
  readonly tail?: number;
  /** Lines at or after / at or before these times. */
  readonly since?: LogTime;
  readonly until?: LogTime;
  /** Keep reading as the monitor writes, across rotations, until `ended()` and all is read. */
  readonly follow?: {
    readonly ended: () => boolean;
    readonly signal?: AbortSignal;
    readonly pollMs?: number;
  };
}

/** A position in the log: a file (index in LogFiles.names) and an offset in it. */
interface Position {
  readonly file: number;
  readonly offset: number;
}

/**
 * Records (lines of a file, newline excluded) from `offset`, in constant memory; the last bytes
 * without a newline (a record being written) are left for later. `onEnd` learns where it stopped.
 */
async function* recordsOf(
  handle: FileHandle,
  offset: number,
  onEnd: (at: number) => void,
): AsyncGenerator<string> {
  const buffer = Buffer.alloc(CHUNK);
  let carry = Buffer.alloc(0); // the start of a record whose end is not read yet
  let at = offset; // the file offset of carry[0]
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK, at + carry.length);
    if (bytesRead === 0) break;
    const data = carry.length
      ? Buffer.concat([carry, buffer.subarray(0, bytesRead)])
      : buffer.subarray(0, bytesRead);
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      const line = data.toString('utf8', start, nl);
      start = nl + 1;
      yield line;
    }
    at += start;
    carry = Buffer.from(data.subarray(start));
  }
  onEnd(at);
}

/**
 * Where the last `n` lines start: the records are read backwards from the end of the newest file,
 * a chunk at a time, counting the records that end a line.
 */
async function tailStart(dir: string, files: LogFiles, n: number): Promise<Position> {
  let lines = 0;
  let newest = true; // the next record met is the log's last: a fragment there is a line too
  for (let file = files.names.length - 1; file >= 0; file--) {
    let handle: FileHandle;
    try {
      handle = await open(join(dir, files.names[file] as string), 'r');
    } catch {
      continue;
    }
    try {
      let pos = (await handle.stat()).size;
      let carry = Buffer.alloc(0); // [pos, pos + carry.length): the end of a record starting before pos
      let trimmed = false;
      while (pos > 0) {
        const from = Math.max(0, pos - CHUNK);
        const chunk = Buffer.alloc(pos - from);
        await handle.read(chunk, 0, chunk.length, from);
        let data = carry.length ? Buffer.concat([chunk, carry]) : chunk; // [from, from + data.length)
        pos = from;
        if (!trimmed) {
          // After the file's last newline: a record still being written.
          const cut = data.lastIndexOf(0x0a);
          if (cut < 0) {
            carry = data;
            continue;
          }
          data = data.subarray(0, cut + 1);
          trimmed = true;
        }
        let end = data.length - 1; // the newline ending the record looked at
        while (end >= 0) {
          const before = end === 0 ? -1 : data.lastIndexOf(0x0a, end - 1);
          if (before < 0 && from > 0) break; // it starts in an earlier chunk
          const record = parseLogRecord(files.format, data.toString('utf8', before + 1, end));
          if (record && (record.complete || newest)) {
            if (lines === n) return { file, offset: from + end + 1 };
            lines++;
          }
          if (record) newest = false;
          end = before;
        }
        carry = Buffer.from(data.subarray(0, end + 1));
      }
    } finally {
      await handle.close();
    }
  }
  return { file: 0, offset: 0 };
}

function within(line: LogLine, options: LogReadOptions): 'before' | 'in' | 'after' {
  if (options.since === undefined && options.until === undefined) return 'in';
  const time = parseRecordTime(line.time);
  if (time === undefined) return 'in';
  if (options.since !== undefined && time < options.since) return 'before';
  if (options.until !== undefined && time > options.until) return 'after';
  return 'in';
}

/**
 * A container's output, line by line, in constant memory: every file of its log oldest first
 * (or from where its last `tail` lines start), then, when following, what the monitor writes
 * next, reopening the current file when the monitor rotated it.
 */
export async function* readContainerLog(
  containerDir: string,
  options: LogReadOptions = {},
): AsyncGenerator<LogLine> {
  const follow = options.follow;
  let files = await listLogFiles(containerDir);
  while (!files && follow) {
    if (follow.ended() || follow.signal?.aborted) return;
    await sleep(follow.pollMs ?? 100, undefined, follow.signal ? { signal: follow.signal } : {}).catch(
      () => undefined,
    );
    files = await listLogFiles(containerDir);
  }
  if (!files) return;
  const format: LogFormat = files.format;
  const assembler = new LogAssembler();
  let start: Position = { file: 0, offset: 0 };
  if (options.tail !== undefined) {
    if (options.tail === 0 && !follow) return;
    start = await tailStart(containerDir, files, options.tail);
  }
  let stopped = false;
  const emit = function* (line: LogLine | undefined): Generator<LogLine> {
    if (!line) return;
    const where = within(line, options);
    if (where === 'after') stopped = true;
    else if (where === 'in') yield line;
  };

  // The rotated files, whole.
  for (let file = start.file; file < files.names.length - 1 && !stopped; file++) {
    let handle: FileHandle;
    try {
      handle = await open(join(containerDir, files.names[file] as string), 'r');
    } catch {
      continue; // rotated away since it was listed
    }
    try {
      for await (const record of recordsOf(handle, file === start.file ? start.offset : 0, () => undefined)) {
        yield* emit(assembler.push(parseLogRecord(format, record)));
        if (stopped) break;
      }
    } finally {
      await handle.close();
    }
  }
  if (stopped) return;

  // The current file, then (following) what comes, across rotations.
  const currentPath = join(containerDir, files.current);
  let handle: FileHandle | undefined;
  let offset = start.file === files.names.length - 1 ? start.offset : 0;
  try {
    handle = await open(currentPath, 'r').catch(() => undefined);
    for (;;) {
      const over = follow ? follow.ended() : true; // asked before reading, so no last write is missed
      if (handle) {
        let end = offset;
        for await (const record of recordsOf(handle, offset, (at) => (end = at))) {
          yield* emit(assembler.push(parseLogRecord(format, record)));
          if (stopped) return;
        }
        offset = end;
      }
      if (!follow || follow.signal?.aborted) break;
      // Rotated (another file under the name) or truncated (max-file 1): start over on the new one.
      const now = await stat(currentPath).catch(() => undefined);
      const mine = handle ? await handle.stat() : undefined;
      if (now && mine && now.ino === mine.ino && now.size < offset) {
        offset = 0; // truncated (max-file 1)
        continue;
      }
      if (now && (!mine || now.ino !== mine.ino)) {
        // Rotated: what was written to the old file before the rename first, then the new one.
        if (handle)
          for await (const record of recordsOf(handle, offset, () => undefined)) {
            yield* emit(assembler.push(parseLogRecord(format, record)));
            if (stopped) return;
          }
        await handle?.close();
        handle = await open(currentPath, 'r').catch(() => undefined);
        offset = 0;
        continue;
      }
      if (over) break;
      await sleep(follow.pollMs ?? 100, undefined, follow.signal ? { signal: follow.signal } : {}).catch(
        () => undefined,
      );
    }
  } finally {
    await handle?.close();
  }
  for (const line of assembler.flush()) yield* emit(line);
}
