import { Command } from 'commander';
import { type ContainerRecord } from '@koker/core';
import { signalNumber } from '@koker/engine';
import { contextOf } from '../../command-context.js';
import { emitContainerEvent } from '../../containers/container-events.js';
import { forEachContainer } from '../../containers/each-container.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import { thawIfPaused } from '../../containers/running-container.js';

/**
 * Docker's rule for a paused container: a signal meant to end it (SIGKILL, its stop signal, or
 * any signal when it has none set) thaws it once sent, so that it acts on it; another stays
 * pending until `unpause`.
 */
function endsIt(record: ContainerRecord, signal: number): boolean {
  if (record.stopSignal === undefined || signal === signalNumber('SIGKILL')) return true;
  return signalNumber(record.stopSignal) === signal;
}

export function killCommand(name = 'kill'): Command {
  return new Command(name)
    .description('Send a signal to running containers')
    .argument('<containers...>', 'container IDs, ID prefixes or names')
    .option('-s, --signal <signal>', 'signal to send (name or number)', 'KILL')
    .action(async (names: string[], options: { signal: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('kill');
      const signal = signalNumber(options.signal);
      const lifecycle = lifecycleOf(ctx);
      await forEachContainer(ctx, names, async (container) => {
        const record = await lifecycle.kill(await ctx.state.resolve(container), signal);
        if (endsIt(record, signal)) await thawIfPaused(ctx, record.id);
        await emitContainerEvent(ctx, record, 'kill', { attributes: { signal: String(signal) } });
      });
    });
}
