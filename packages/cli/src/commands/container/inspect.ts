import { type Command } from 'commander';
import { inspectCommand as inspectObjectsCommand } from '../../inspect/inspect-objects.js';

/** `koker container inspect` (containers only); `koker inspect` finds every kind. */
export function inspectCommand(name = 'inspect'): Command {
  return inspectObjectsCommand(name, 'container');
}
