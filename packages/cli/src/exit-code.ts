import { type Command } from 'commander';

// Apart from command-context.ts (which builds the whole CliContext): main() needs only this.
const exitCodes = new WeakMap<Command, number>();

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/** What `koker` exits with when the command succeeds but must not exit 0 (a container's code). */
export function setExitCode(command: Command, code: number): void {
  exitCodes.set(rootOf(command), code);
}

export function exitCodeOf(program: Command): number {
  return exitCodes.get(rootOf(program)) ?? 0;
}
