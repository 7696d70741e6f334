import { KokerError, exitCodeOf } from '@koker/core';

/**
 * Prints a failure on stderr in one or two lines: what failed (and where), then what to do.
 * Shown even with --quiet: a silent failure helps nobody.
 */
export function reportError(
  error: unknown,
  options: { json: boolean; debug: boolean; exitCode?: number },
): number {
  const exitCode = options.exitCode ?? exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof KokerError ? error.hint : undefined;
  if (options.json) {
    const record = {
      level: 50,
      time: Date.now(),
      msg: message,
      code: error instanceof KokerError ? error.code : 'INTERNAL',
      exitCode,
      ...(hint ? { hint } : {}),
    };
    process.stderr.write(`${JSON.stringify(record)}\n`);
  } else {
    process.stderr.write(`koker: ${message}\n`);
    if (hint) process.stderr.write(`koker: hint: ${hint}\n`);
    if (!(error instanceof KokerError) && options.debug && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
  }
  return exitCode;
}
