import { Command } from 'commander';
import { shortContainerId } from '@koker/core';
import { contextOf } from '../../command-context.js';
import { listContainers } from '../../containers/list-containers.js';
import { CONTAINER_HEADERS, ContainerContext, DEFAULT_PS_FORMAT } from '../../output/container-context.js';
import { idText } from '../../output/container-view.js';
import { parseFormat, renderItems } from '../../output/template/index.js';

interface LsOptions {
  readonly all?: boolean;
  readonly quiet?: boolean;
  readonly trunc?: boolean;
  readonly format?: string;
  readonly filter?: string[];
  readonly last?: string;
  readonly latest?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `koker ps` / `koker container ls`. */
export function lsCommand(name = 'ls'): Command {
  return new Command(name)
    .description('List containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', 'do not truncate output')
    .option('-f, --filter <filter>', 'filter output based on conditions provided (key=value)', collect)
    .option('-n, --last <n>', 'show n last created containers (includes all states)')
    .option('-l, --latest', 'show the latest created container (includes all states)')
    .option(
      '--format <format>',
      'format output: table (default), table TEMPLATE, json, or a Go template ({{.Names}})',
    )
    .action(async (options: LsOptions, command: Command) => {
      const ctx = contextOf(command);
      ctx.requireRoot('ps');
      // Parsed before anything is read: a bad template fails first.
      const format = parseFormat(options.format);
      const last = options.latest ? 1 : options.last === undefined ? undefined : Number(options.last);
      const views = await listContainers(ctx, {
        all: options.all === true,
        filters: options.filter ?? [],
        ...(last !== undefined ? { last } : {}),
        onBroken: (b) => {
          // A broken record is reported, never fatal: the others are still listed.
          const short = shortContainerId(b.id);
          process.stderr.write(`koker: container ${short}: ${b.reason} (koker rm -f ${short} removes it)\n`);
        },
      });
      const truncate = options.trunc !== false;
      if (options.quiet) {
        process.stdout.write(views.map((v) => `${idText(v.record, truncate)}\n`).join(''));
        return;
      }
      const now = Date.now();
      process.stdout.write(
        renderItems(
          format,
          DEFAULT_PS_FORMAT,
          views.map((v) => new ContainerContext(v, now, truncate)),
          CONTAINER_HEADERS,
        ),
      );
    });
}
