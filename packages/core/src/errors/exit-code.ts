import { isKokerError } from './koker-error.js';

/** Docker's exit codes: 125 engine failure, 126 cannot execute, 127 not found. */
export const ExitCode = {
  ok: 0,
  engineFailure: 125,
  notExecutable: 126,
  notFound: 127,
} as const;

/** The exit code a failure maps to: a KokerError's own, 125 for anything unexpected. */
export function exitCodeOf(error: unknown): number {
  return isKokerError(error) ? error.exitCode : ExitCode.engineFailure;
}

/** A process status as a shell reports it: the code, or 128 + the signal number. */
export function exitCodeOfStatus(status: { code: number } | { signal: number }): number {
  return 'code' in status ? status.code : 128 + status.signal;
}
