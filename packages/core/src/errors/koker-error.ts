/**
 * Every failure koker reports is a KokerError: a stable `code` for machines, a message that says
 * what failed and where, an optional `hint` that says what to do, and the process exit code it
 * maps to (Docker's convention: 125 for the engine's own failures).
 */
export abstract class KokerError extends Error {
  abstract readonly code: string;
  readonly exitCode: number = 125;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}
