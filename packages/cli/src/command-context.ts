import { type Command } from 'commander';
import { CliContext, type GlobalOptions } from './context.js';

const contexts = new WeakMap<Command, CliContext>();
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

/** The invocation's context, built once from the global options of the root command. */
export function contextOf(command: Command): CliContext {
  let root = command;
  while (root.parent) root = root.parent;
  let context = contexts.get(root);
  if (!context) {
    context = new CliContext(command.optsWithGlobals<GlobalOptions>());
    contexts.set(root, context);
  }
  return context;
}

/** Collects a repeatable option (`-e A -e B`) into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
