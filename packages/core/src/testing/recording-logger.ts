import { pino } from 'pino';
import { type Logger } from '../log/logger.js';

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level logger that keeps its records, for tests that assert what koker logs. */
export function recordingLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log = pino(
    { level: 'debug', base: undefined },
    { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) },
  );
  return { log, records };
}
