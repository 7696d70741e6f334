import { type Logger } from '../log/logger.js';

/** pino's numeric levels, so records read like the JSON log koker writes. */
const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level logger that keeps its records, for tests that assert what koker logs. */
export function recordingLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: number) =>
      (fieldsOrMessage: object | string, message?: string): void => {
        const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
        const msg = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? '');
        records.push({ level, ...bindings, ...fields, msg });
      };
    return {
      debug: at(LEVELS.debug),
      info: at(LEVELS.info),
      warn: at(LEVELS.warn),
      error: at(LEVELS.error),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { log: make({}), records };
}
