import { Command } from 'commander';
import { contextOf } from '../../command-context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { pauseContainer, unpauseContainer } from '../../containers/pause-container.js';

/** `koker pause`: freezes every process of the containers (the cgroup freezer). */
export function pauseCommand(name = 'pause'): Command {
  return new Command(name)
    .description('Pause all processes within one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('pause');
      await forEachContainer(ctx, names, (container) => pauseContainer(ctx, container));
    });
}

/** `koker unpause`: thaws what `pause` froze. */
export function unpauseCommand(name = 'unpause'): Command {
  return new Command(name)
    .description('Unpause all processes within one or more containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .action(async (names: string[], _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('unpause');
      await forEachContainer(ctx, names, (container) => unpauseContainer(ctx, container));
    });
}
