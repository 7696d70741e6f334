import { type Command } from 'commander';
import { NotImplementedError } from '@koker/core';
import { contextOf } from './command-context.js';

/** The action of a command koker does not implement yet: root check, then an honest failure. */
export function notBuilt(what: string, options: { root: boolean } = { root: true }) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    if (options.root) contextOf(command).requireRoot(what);
    throw new NotImplementedError(what);
  };
}
