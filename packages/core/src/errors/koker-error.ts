/**
 * Marks a KokerError. A global symbol, not the class: a driver package installed with its own
 * copy of @koker/core throws errors of its copy's classes, and those must keep their code, hint
 * and exit code when koker catches them.
 */
const KOKER_ERROR = Symbol.for('koker.error');

/** True for a KokerError of any copy of @koker/core. */
export function isKokerError(value: unknown): value is KokerError {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[KOKER_ERROR] === true
  );
}

/**
 * Every failure koker reports is a KokerError: a stable `code` for machines, a message that says
 * what failed and where, an optional `hint` that says what to do, and the process exit code it
 * maps to (Docker's convention: 125 for the engine's own failures).
 *
 * `instanceof` works across copies of @koker/core: `x instanceof KokerError` is isKokerError(x),
 * and `x instanceof NotFoundError` also holds for another copy's NotFoundError (same class name
 * in its prototype chain, branded).
 */
export abstract class KokerError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!isKokerError(value)) return false;
    if (this === KokerError) return true;
    for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto))
      if ((proto as { constructor?: { name?: string } }).constructor?.name === this.name) return true;
    return false;
  }

  readonly [KOKER_ERROR] = true;
  abstract readonly code: string;
  readonly exitCode: number = 125;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}
