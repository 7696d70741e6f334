import { Command } from 'commander';
import { readTree, writeTar } from '@koker/fs-overlay';
import { contextOf } from '../../command-context.js';
import { withContainerRoot } from '../../containers/container-root.js';
import { readerWentAway, refuseTerminal, writeOutputFile } from '../../output/output-file.js';

export function exportCommand(name = 'export'): Command {
  return new Command(name)
    .description("Export a container's filesystem as a tar archive")
    .argument('<container>', 'container ID, ID prefix or name')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .action(async (container: string, options: { output?: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('export');
      if (!options.output) refuseTerminal('export', `koker export ${container} > ${container}.tar`);
      // The root filesystem alone, without volumes or other mounts, as Docker exports it.
      await withContainerRoot(ctx, container, 'image', async (root) => {
        const tar = (output: NodeJS.WritableStream) =>
          writeTar(readTree(root.fd, { topName: '' }), output as never).then(() => undefined);
        if (!options.output) {
          return tar(process.stdout).catch((error: unknown) => {
            if (!readerWentAway(error)) throw error;
          });
        }
        const file = await writeOutputFile(options.output, tar);
        ctx.log.debug({ container, file }, 'Exported container');
        return undefined;
      });
    });
}
