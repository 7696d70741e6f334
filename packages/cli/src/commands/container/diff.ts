import { Command } from 'commander';
import { textPath } from '@koker/fs-overlay';
import { contextOf } from '../../command-context.js';
import { containerChanges } from '../../containers/container-changes.js';

export function diffCommand(name = 'diff'): Command {
  return new Command(name)
    .description("Inspect changes to files or directories on a container's filesystem")
    .argument('<container>', 'container ID, ID prefix or name')
    .action(async (container: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('diff');
      const lines = (await containerChanges(ctx, container)).map((c) => `${c.kind} ${textPath(c.path)}`);
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    });
}
