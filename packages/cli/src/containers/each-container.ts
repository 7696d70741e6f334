import { reportError } from '../output/report-error.js';
import { type CliContext } from '../context.js';

/**
 * Runs `action` for every container named, as Docker does for stop, kill, rm: each failure is
 * reported and the others still run; the command fails (with the last failure) if any did.
 * `echo` prints each name as given once its action succeeded.
 */
export async function forEachContainer(
  ctx: CliContext,
  names: readonly string[],
  action: (name: string) => Promise<void>,
  options: { echo: boolean } = { echo: true },
): Promise<void> {
  let last: unknown;
  for (const name of names) {
    try {
      await action(name);
      if (options.echo) process.stdout.write(`${name}\n`);
    } catch (error) {
      if (last !== undefined) report(ctx, last);
      last = error;
    }
  }
  if (last !== undefined) throw last;
}

function report(ctx: CliContext, error: unknown): void {
  reportError(error, { json: ctx.globals.logFormat === 'json', debug: ctx.globals.debug === true });
}
