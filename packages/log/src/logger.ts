import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { type LogFormat, type LogLevel, type Logger } from '@koker/core';
import { pino } from 'pino';
import { formatConsoleLine } from './console-format.js';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** File descriptor to write to: stderr, so a program's own output is never mixed in. */
  readonly fd?: number;
  readonly color?: boolean;
}

/** A synchronous writer: log lines reach the terminal in order, even when the process dies next. */
function consoleDestination(fd: number, color: boolean) {
  return {
    write(line: string): void {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        writeSync(fd, line);
        return;
      }
      writeSync(fd, formatConsoleLine(record, color));
    },
  };
}

function rawDestination(fd: number) {
  return { write: (line: string): void => void writeSync(fd, line) };
}

export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 2;
  // isatty, not process.stderr.isTTY: creating that stream makes a piped fd 2 non-blocking, and
  // a container started by `run` shares it.
  const color = options.color ?? (isatty(fd) && !process.env.NO_COLOR);
  const destination = options.format === 'json' ? rawDestination(fd) : consoleDestination(fd, color);
  return pino(
    { level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime },
    destination,
  );
}
