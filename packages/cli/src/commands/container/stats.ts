import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { NotFoundError, Resources, resolveContainerIdPrefix, type ResourceDriver } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { renderTable } from '../../output/table.js';
import { STATS_HEADERS, statsRow, type StatsSample, type StatsTarget } from '../../stats/stats-rows.js';

// CPU % needs two readings: --no-stream takes them this far apart, streaming refreshes this often.
const NO_STREAM_GAP_MS = 500;
const STREAM_INTERVAL_MS = 1000;

/**
 * The containers to show. Until container records are wired in, they are the cgroups the
 * resources driver lists, found by ID or unique ID prefix (names need the records).
 */
async function targetsOf(resources: ResourceDriver, args: readonly string[]): Promise<StatsTarget[]> {
  const ids = await resources.list();
  if (args.length === 0) return ids.map((id) => ({ id }));
  return args.map((arg) => ({ id: resolveContainerIdPrefix(arg, ids) }));
}

async function sample(resources: ResourceDriver, targets: readonly StatsTarget[]) {
  const samples = new Map<string, StatsSample>();
  for (const target of targets) {
    try {
      samples.set(target.id, { stats: await resources.stats(target.id), at: process.hrtime.bigint() });
    } catch (error) {
      // A container that ended between listing and reading is simply not shown.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return samples;
}

function table(
  targets: readonly StatsTarget[],
  previous: Map<string, StatsSample>,
  current: Map<string, StatsSample>,
) {
  const rows: string[][] = [];
  for (const target of targets) {
    const now = current.get(target.id);
    if (now) rows.push(statsRow(target, previous.get(target.id), now, totalmem()));
  }
  return renderTable(STATS_HEADERS, rows);
}

export function statsCommand(name = 'stats'): Command {
  return new Command(name)
    .description('Show resource usage of containers (memory, CPU, PIDs from their cgroups)')
    .argument('[containers...]', 'container IDs or ID prefixes (default: all running)')
    .option('--no-stream', 'print one sample and exit')
    .action(async (args: string[], options: { stream: boolean }, command: Command) => {
      const context = contextOf(command);
      context.requireRoot('stats');
      const resources = await context.driver(Resources);
      let targets = await targetsOf(resources, args);
      let previous = await sample(resources, targets);
      if (!options.stream) {
        await sleep(NO_STREAM_GAP_MS);
        process.stdout.write(table(targets, previous, await sample(resources, targets)));
        return;
      }
      const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        while (!stop.signal.aborted) {
          await sleep(STREAM_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
          if (stop.signal.aborted) break;
          // Without explicit containers, ones started since the last refresh appear too.
          if (args.length === 0) targets = await targetsOf(resources, args);
          const current = await sample(resources, targets);
          process.stdout.write(`${clear}${table(targets, previous, current)}`);
          previous = current;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
