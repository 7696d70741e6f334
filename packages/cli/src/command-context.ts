import { type Command } from 'commander';
import { CliContext, type GlobalOptions } from './context.js';

export { exitCodeOf, setExitCode } from './exit-code.js';

const contexts = new WeakMap<Command, CliContext>();

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
