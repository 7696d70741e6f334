import { type Command } from 'commander';
import { inspectCommand } from '../../inspect/inspect-objects.js';

/** `koker image inspect` (images only, `-f TEMPLATE` as Docker's). */
export function imageInspectCommand(name = 'inspect'): Command {
  return inspectCommand(name, 'image');
}
