import { Command } from 'commander';
import { shortContainerId, UsageError } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { lifecycleOf } from '../../containers/lifecycle.js';
import {
  commandText,
  createdText,
  idText,
  portsText,
  statusText,
  type ContainerView,
} from '../../output/container-view.js';
import { renderTable } from '../../output/table.js';

interface LsOptions {
  readonly all?: boolean;
  readonly quiet?: boolean;
  readonly trunc?: boolean;
  readonly format?: string;
}

/** `koker ps` / `koker container ls`. */
export function lsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', 'do not truncate output')
    .option('--format <format>', 'table (default) or json')
    .action(async (options: LsOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('ps');
      const format = options.format ?? 'table';
      if (format !== 'table' && format !== 'json')
        throw new UsageError(`unknown --format "${format}": use table or json`);
      const { records, broken } = await ctx.state.list();
      // A broken record is reported, never fatal: the others are still listed.
      for (const b of broken) {
        const short = shortContainerId(b.id);
        process.stderr.write(`koker: container ${short}: ${b.reason} (koker rm -f ${short} removes it)\n`);
      }
      const lifecycle = lifecycleOf(ctx);
      const views: ContainerView[] = [];
      for (const record of records.reverse()) {
        const seen = await lifecycle.observe(record);
        if (options.all || seen.running) views.push({ record, seen });
      }
      const truncate = options.trunc !== false;
      const now = Date.now();
      if (options.quiet) {
        process.stdout.write(views.map((v) => `${idText(v.record, truncate)}\n`).join(''));
      } else if (format === 'json') {
        process.stdout.write(views.map((v) => `${JSON.stringify(jsonRow(v, now, truncate))}\n`).join(''));
      } else {
        process.stdout.write(
          renderTable(
            ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
            views.map((v) => [
              idText(v.record, truncate),
              v.record.image.reference,
              commandText(v.record, truncate),
              createdText(v.record, now),
              statusText(v, now),
              portsText(v.record.network.ports),
              v.record.name,
            ]),
          ),
        );
      }
    });
}

/** The fields of Docker's `ps --format json`, koker's values. */
function jsonRow(view: ContainerView, now: number, truncate: boolean) {
  const { record, seen } = view;
  return {
    ID: idText(record, truncate),
    Image: record.image.reference,
    Command: commandText(record, truncate),
    CreatedAt: record.created,
    RunningFor: createdText(record, now),
    State: seen.status,
    Status: statusText(view, now),
    ...(seen.status === 'exited' ? { ExitCode: seen.exitCode ?? 0 } : {}),
    ...(seen.reason ? { Reason: seen.reason } : {}),
    Ports: portsText(record.network.ports),
    Names: record.name,
    Networks: record.network.mode,
  };
}
