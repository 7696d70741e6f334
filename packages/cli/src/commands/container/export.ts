import { Command } from 'commander';
import { contextOf } from '../../command-context.js';
import { exportContainer } from '../../containers/export-container.js';
import { readerWentAway, refuseTerminal, writeOutputFile } from '../../output/output-file.js';

export function exportCommand(name = 'export'): Command {
  return new Command(name)
    .description("Export a container's filesystem as a tar archive")
    .argument('<container>', 'container ID, ID prefix or name')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (container: string, options: { output?: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('export');
      const { output } = options;
      if (!output) {
        refuseTerminal('export', `koker export ${container} > ${container}.tar`);
        await exportContainer(ctx, container, () => process.stdout).catch((error: unknown) => {
          if (!readerWentAway(error)) throw error;
        });
        return;
      }
      await writeOutputFile(output, (file) => exportContainer(ctx, container, () => file));
    });
}
