/**
 * What koker logs through: pino's calling convention (fields first, then the message), so the
 * CLI's pino logger satisfies it as it is and a driver needs no logging library of its own.
 */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds these fields to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

export const LoggerToken = Symbol.for('koker.Logger');

export type LogLevel = 'debug' | 'info' | 'silent';
export type LogFormat = 'console' | 'json';
