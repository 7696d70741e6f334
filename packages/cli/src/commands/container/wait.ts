import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { NotFoundError } from '@koker/core';
import { contextOf, setExitCode } from '../../command-context.js';
import { type CliContext } from '../../context.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';

/** The API's wait conditions: `not-running` (default), `next-exit`, `removed`. */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

const POLL_MS = 50;

/**
 * Blocks until the container meets `condition`; resolves to its exit code. A container's keeper
 * holds a lock while it runs, so polling the record and that lock is exact, never a guess.
 */
export async function waitForContainer(
  ctx: CliContext,
  name: string,
  condition: WaitCondition,
): Promise<number> {
  const first = await ctx.state.find(name);
  const id = first.id;
  const lifecycle = lifecycleOf(ctx);
  // A run that started and ended between two polls still changed its start time.
  const startedBefore = first.started;
  let lastCode = 0;
  let sawRunning = false;
  for (;;) {
    let record;
    try {
      record = await ctx.state.get(id);
    } catch (error) {
      // Removed (`--rm`, or `rm` meanwhile): the code last seen, as Docker's removed condition.
      if (
        error instanceof NotFoundError &&
        (condition === 'removed' || sawRunning || condition === 'next-exit')
      )
        return lastCode;
      throw error;
    }
    const seen = await lifecycle.observe(record);
    if (seen.running) sawRunning = true;
    else {
      lastCode = seen.exitCode ?? lastCode;
      if (condition === 'not-running') return lastCode;
      if (condition === 'next-exit' && (sawRunning || record.started !== startedBefore)) return lastCode;
    }
    await sleep(POLL_MS);
  }
}

/** `koker wait`: prints each container's exit code once it stops. */
export function waitCommand(name = 'wait'): Command {
  return new Command(name)
    .description('Block until one or more containers stop, then print their exit codes')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .addOption(
      new Option('--condition <condition>', "what to wait for (the API's wait conditions)")
        .choices(['not-running', 'next-exit', 'removed'])
        .default('not-running'),
    )
    .action(async (names: string[], options: { condition: WaitCondition }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('wait');
      await forEachContainer(
        ctx,
        names,
        async (container) => {
          process.stdout.write(`${await waitForContainer(ctx, container, options.condition)}\n`);
        },
        { echo: false },
      );
      setExitCode(command, 0);
    });
}
