import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { NotFoundError, Resources, type ResourceDriver, type StateStore } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { renderTable } from '../../output/table.js';
import { parseFormat, renderItems, type OutputFormat } from '../../output/template/index.js';
import {
  STATS_HEADERS,
  STATS_TABLE,
  STATS_TEMPLATE_HEADERS,
  statsEntry,
  statsRow,
  stoppedRow,
  parseNetDev,
  type NetIo,
  type StatsSample,
  type StatsTarget,
} from '../../stats/stats-rows.js';

// CPU % needs two readings: --no-stream takes them this far apart, streaming refreshes this often.
const NO_STREAM_GAP_MS = 500;
const STREAM_INTERVAL_MS = 1000;

/**
 * The containers to show: those named (ID, unique ID prefix or name, as everywhere), else every
 * running one (every one with `-a`), from koker's records.
 */
async function targetsOf(
  state: StateStore,
  args: readonly string[],
  all = false,
): Promise<(StatsTarget & { given?: string })[]> {
  if (args.length > 0) {
    const records = await Promise.all(args.map((arg) => state.find(arg)));
    return records.map((r, i) => ({
      id: r.id,
      name: r.name,
      given: args[i] ?? r.name,
      ...(r.pid ? { pid: r.pid } : {}),
    }));
  }
  const { records } = await state.list();
  return records
    .filter((r) => all || r.status === 'running')
    .map((r) => ({ id: r.id, name: r.name, ...(r.pid ? { pid: r.pid } : {}) }));
}

/** NET I/O of the container's network namespace, read through its first process. */
function netIo(pid: number | undefined): NetIo | undefined {
  if (pid === undefined) return undefined;
  try {
    return parseNetDev(readFileSync(`/proc/${pid}/net/dev`, 'utf8'));
  } catch {
    return undefined; // ended meanwhile
  }
}

async function sample(resources: ResourceDriver, targets: readonly StatsTarget[]) {
  const samples = new Map<string, StatsSample>();
  for (const target of targets) {
    try {
      const stats = await resources.stats(target.id);
      const net = netIo(target.pid);
      samples.set(target.id, { stats, at: process.hrtime.bigint(), ...(net ? { net } : {}) });
    } catch (error) {
      // No cgroups: the container is not running (or ended since it was listed).
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return samples;
}

function table(
  targets: readonly (StatsTarget & { given?: string })[],
  previous: Map<string, StatsSample>,
  current: Map<string, StatsSample>,
  format: OutputFormat,
  noTrunc: boolean,
) {
  const rows: string[][] = [];
  for (const target of targets) {
    const now = current.get(target.id);
    // A named container that is not running (no cgroups) shows as a row of dashes.
    const row = now ? statsRow(target, previous.get(target.id), now, totalmem()) : stoppedRow(target);
    rows.push(noTrunc ? [target.id, ...row.slice(1)] : row);
  }
  if (format.kind === 'table' && format.template === undefined) return renderTable(STATS_HEADERS, rows);
  const entries = rows.map((row, i) => statsEntry(row, targets[i]?.given));
  return renderItems(format, STATS_TABLE, entries, STATS_TEMPLATE_HEADERS);
}

export function statsCommand(name = 'stats'): Command {
  return new Command(name)
    .description('Show resource usage of containers (memory, CPU, PIDs from their cgroups)')
    .argument('[containers...]', 'container IDs, ID prefixes or names (default: all running)')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('--no-stream', 'print one sample and exit')
    .option('--no-trunc', 'do not truncate output')
    .option('--format <format>', 'format output: table (default), table TEMPLATE, json, or a Go template')
    .action(
      async (
        args: string[],
        options: { all?: boolean; stream: boolean; trunc: boolean; format?: string },
        command: Command,
      ) => {
        const context = contextOf(command);
        const format = parseFormat(options.format);
        const all = options.all === true;
        const noTrunc = !options.trunc;
        context.requireRoot('stats');
        const resources = await context.driver(Resources);
        let targets = await targetsOf(context.state, args, all);
        let previous = await sample(resources, targets);
        if (!options.stream) {
          await sleep(NO_STREAM_GAP_MS);
          process.stdout.write(table(targets, previous, await sample(resources, targets), format, noTrunc));
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
            if (args.length === 0) targets = await targetsOf(context.state, args, all);
            const current = await sample(resources, targets);
            process.stdout.write(`${clear}${table(targets, previous, current, format, noTrunc)}`);
            previous = current;
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );
}
