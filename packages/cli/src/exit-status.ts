import { ExitCode, UsageError, exitCodeOf } from '@koker/core';
import { commandIndex } from './lazy-command.js';

// Commands whose own failures keep the engine's 125 (Docker's run and create).
const ENGINE_STATUS = new Set(['run', 'create']);
const GROUPS = new Set(['container', 'c', 'image', 'i', 'system']);

/** The command `argv` names: `run` for `koker -D run x` and for `koker container run x`. */
export function commandName(argv: readonly string[]): string | undefined {
  const at = commandIndex(argv);
  const word = at < 0 ? undefined : argv[at];
  if (word === undefined || !GROUPS.has(word)) return word;
  const rest = argv.slice(at + 1);
  const sub = commandIndex(rest);
  return sub < 0 ? word : rest[sub];
}

/**
 * The exit status of a failed command, as Docker's CLI: usage errors are 125 everywhere; `run`
 * and `create` exit 125 when koker fails, 126/127 when the command cannot run; every other
 * command exits 1 (`koker rm missing`), keeping a specific code (exec's 126/127).
 */
export function failureExitCode(argv: readonly string[], error: unknown): number {
  const code = exitCodeOf(error);
  if (error instanceof UsageError || code !== ExitCode.engineFailure) return code;
  const name = commandName(argv);
  if (name === undefined || ENGINE_STATUS.has(name)) return code;
  return 1;
}
