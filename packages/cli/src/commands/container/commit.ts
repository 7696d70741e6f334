import { Command } from 'commander';
import { ImageReference, NotFoundError } from '@koker/core';
import { collect, contextOf } from '../../command-context.js';
import { commitContainer } from '../../containers/commit-container.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { parseBooleanFlag } from '../../run/run-option-flags.js';

interface CommitFlags {
  readonly author?: string;
  readonly message?: string;
  readonly change?: string[];
  readonly pause?: string | boolean;
}

/** `koker commit CONTAINER [REPOSITORY[:TAG]]`: a new image from a container's changes. */
export function commitCommand(name = 'commit'): Command {
  return new Command(name)
    .description("Create a new image from a container's changes")
    .argument('<container>', 'container ID, ID prefix or name')
    .argument('[repository]', 'REPOSITORY[:TAG] to tag the image with')
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause [bool]', 'Pause container during commit (default true)')
    .action(
      async (container: string, repository: string | undefined, flags: CommitFlags, command: Command) => {
        const ctx = contextOf(command);
        ctx.requireRoot('commit');
        const pause = parseBooleanFlag('--pause', flags.pause, true);
        const tags = repository === undefined ? [] : [ImageReference.parse(repository)];
        const id = await ctx.state.resolve(container);
        const record = await lifecycleOf(ctx).settle(id);
        if (!record) throw new NotFoundError(`No such container: ${container}`);
        const committed = await commitContainer(ctx, record, {
          pause,
          tags,
          changes: flags.change ?? [],
          ...(flags.author !== undefined ? { author: flags.author } : {}),
          ...(flags.message !== undefined ? { message: flags.message } : {}),
        });
        await emitContainerEvent(ctx, record, 'commit', {
          attributes: { comment: flags.message ?? '', imageID: committed.id },
        });
        process.stdout.write(`${committed.id}\n`);
      },
    );
}
